<?php
/**
 * Self-test of autoresponder.php without WHMCS.
 *
 *   php selftest.php <url> <secret> [<HookPoint>|all]
 *
 * Stubs WHMCS's add_hook and logActivity, loads autoresponder.php pointed at
 * <url> with <secret>, checks that every ticket hook point is registered,
 * then fires the named hook point (TicketUserReply by default, every one
 * with "all") with sample variables. Prints one line per hook call.
 *
 * Exit status: 0 when every call reached the bot (2xx), 1 when one did not
 * or the hook misbehaved (returned a value, threw, was not registered), 2 on
 * wrong usage.
 */

if ($argc < 3 || $argc > 4) {
    fwrite(STDERR, "usage: php selftest.php <url> <secret> [<HookPoint>|all]\n");
    exit(2);
}

define('WHMCS', true);
define('AUTORESPONDER_URL', $argv[1]);
define('AUTORESPONDER_SECRET', $argv[2]);

$GLOBALS['selftest_hooks'] = array();
$GLOBALS['selftest_log'] = array();

function add_hook($hookPoint, $priority, $function)
{
    $GLOBALS['selftest_hooks'][$hookPoint][] = array($priority, $function);
}

function logActivity($message, $userId = 0)
{
    $GLOBALS['selftest_log'][] = $message;
    fwrite(STDERR, "logActivity: $message\n");
}

require __DIR__ . '/autoresponder.php';

// Variables as WHMCS passes them (PLATFORMS.md); ids as WHMCS gives them,
// some numbers, some strings.
$samples = array(
    'TicketOpen' => array('ticketid' => 501, 'ticketmask' => 'SLF-100501', 'userid' => 7, 'deptid' => 1,
        'deptname' => 'Support', 'subject' => 'Self-test ticket', 'message' => "Hello,\r\nthis is a self-test.", 'priority' => 'Low'),
    'TicketOpenAdmin' => array('ticketid' => '502', 'ticketmask' => 'SLF-100502', 'userid' => '7', 'deptid' => '1',
        'deptname' => 'Support', 'subject' => 'Self-test ticket', 'message' => '<p>Opened by staff</p>', 'priority' => 'Medium'),
    'TicketUserReply' => array('ticketid' => 501, 'replyid' => 9001, 'userid' => 7, 'deptid' => 1, 'deptname' => 'Support',
        'subject' => 'Self-test ticket', 'message' => "Any news? Ünïcödé \u{2713}", 'priority' => 'Low', 'status' => 'Customer-Reply'),
    'TicketAdminReply' => array('ticketid' => 501, 'replyid' => 9002, 'deptid' => 1, 'deptname' => 'Support',
        'subject' => 'Self-test ticket', 'message' => 'We are on it.', 'priority' => 'Low', 'admin' => 'Self Test', 'status' => 'Answered'),
    'TicketAddNote' => array('ticketid' => 501, 'message' => 'Internal note', 'adminid' => 1, 'attachments' => ''),
    'TicketStatusChange' => array('adminid' => 1, 'status' => 'On Hold', 'ticketid' => 501),
    'TicketClose' => array('ticketid' => 501),
    'TicketPriorityChange' => array('ticketid' => 501, 'priority' => 'High'),
    'TicketDepartmentChange' => array('ticketid' => 501, 'deptid' => 2, 'deptname' => 'Billing'),
);

$failed = false;
foreach ($samples as $hookPoint => $vars) {
    $registered = isset($GLOBALS['selftest_hooks'][$hookPoint]) ? $GLOBALS['selftest_hooks'][$hookPoint] : array();
    if (count($registered) !== 1 || $registered[0][0] !== 1) {
        fwrite(STDERR, "FAIL $hookPoint: registered " . count($registered) . " times, want once with priority 1\n");
        $failed = true;
    }
}

$which = $argc === 4 ? $argv[3] : 'TicketUserReply';
if ($which === 'all') {
    $points = array_keys($samples);
} elseif (isset($samples[$which])) {
    $points = array($which);
} else {
    fwrite(STDERR, "unknown hook point $which; want one of " . implode(', ', array_keys($samples)) . " or all\n");
    exit(2);
}

foreach ($points as $hookPoint) {
    if (empty($GLOBALS['selftest_hooks'][$hookPoint])) {
        continue; // reported above
    }
    $logged = count($GLOBALS['selftest_log']);
    $start = microtime(true);
    try {
        $returned = call_user_func($GLOBALS['selftest_hooks'][$hookPoint][0][1], $samples[$hookPoint]);
    } catch (\Throwable $e) {
        fwrite(STDERR, "FAIL $hookPoint: the hook threw " . get_class($e) . ': ' . $e->getMessage() . "\n");
        $failed = true;
        continue;
    }
    $ms = (int) round((microtime(true) - $start) * 1000);
    if ($returned !== null) {
        fwrite(STDERR, "FAIL $hookPoint: the hook returned " . var_export($returned, true) . ", want nothing\n");
        $failed = true;
    } elseif (count($GLOBALS['selftest_log']) > $logged) {
        fwrite(STDERR, "FAIL $hookPoint: not delivered ($ms ms)\n");
        $failed = true;
    } else {
        echo "ok $hookPoint ($ms ms)\n";
    }
}
exit($failed ? 1 : 0);

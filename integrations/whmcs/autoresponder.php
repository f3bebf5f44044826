<?php
/**
 * WHMCS hook for the support auto-responder.
 *
 * Copy this file to includes/hooks/ of your WHMCS installation. On each
 * ticket hook point below it POSTs one JSON document to the bot:
 *
 *   {"event": "<HookPoint>", "id": "<unique id>", "occurred_at": "<RFC 3339>", "vars": {...}}
 *
 * signed with the header "X-Signature: sha256=<hex HMAC-SHA256 of the body>".
 *
 * The hook never fails or blocks a WHMCS action: it gives up after
 * AUTORESPONDER_TIMEOUT_MS (one retry included), catches every error and
 * writes failures to the WHMCS Activity Log (Utilities > Logs > Activity Log).
 *
 * See README.md beside this file.
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

// ---------------------------------------------------------------------------
// Configuration. Set the two values here, or leave them and set the
// environment variables AUTORESPONDER_URL and AUTORESPONDER_SECRET of the PHP
// process (web server and cron alike). The secret must be the value of the
// environment variable the bot's WHMCS source names in `secret_env`.
// ---------------------------------------------------------------------------
if (!defined('AUTORESPONDER_URL')) {
    // The bot's webhook URL: https://<bot host>/webhooks/<source name>.
    define('AUTORESPONDER_URL', getenv('AUTORESPONDER_URL') ?: 'https://bot.example.com/webhooks/whmcs');
}
if (!defined('AUTORESPONDER_SECRET')) {
    // The shared signing secret. Keep it out of version control.
    define('AUTORESPONDER_SECRET', getenv('AUTORESPONDER_SECRET') ?: '');
}
if (!defined('AUTORESPONDER_CONNECT_TIMEOUT_MS')) {
    define('AUTORESPONDER_CONNECT_TIMEOUT_MS', 2000);
}
if (!defined('AUTORESPONDER_TIMEOUT_MS')) {
    // The whole budget of one hook call, retry included.
    define('AUTORESPONDER_TIMEOUT_MS', 3000);
}

/** The ticket hook points this file forwards. */
function autoresponder_hook_points()
{
    return array(
        'TicketOpen',
        'TicketOpenAdmin',
        'TicketUserReply',
        'TicketAdminReply',
        'TicketAddNote',
        'TicketStatusChange',
        'TicketClose',
        'TicketPriorityChange',
        'TicketDepartmentChange',
    );
}

/**
 * The delivery id, the bot's deduplication key. It is made once per hook
 * call, so a retry carries the same id. Events that happen once per ticket or
 * reply get an id derived from them (a second delivery of the same event is
 * then recognised even across hook calls); the others, which can repeat on a
 * ticket (status changes, notes, closing), get a random part.
 */
function autoresponder_event_id($hook, array $vars)
{
    $ticket = isset($vars['ticketid']) && is_scalar($vars['ticketid']) ? (string) $vars['ticketid'] : '';
    $reply = isset($vars['replyid']) && is_scalar($vars['replyid']) ? (string) $vars['replyid'] : '';
    if ($ticket !== '') {
        if ($hook === 'TicketOpen' || $hook === 'TicketOpenAdmin') {
            return $hook . '-' . $ticket;
        }
        if (($hook === 'TicketUserReply' || $hook === 'TicketAdminReply') && $reply !== '' && $reply !== '0') {
            return $hook . '-' . $ticket . '-' . $reply;
        }
    }
    try {
        $random = bin2hex(random_bytes(8));
    } catch (\Throwable $e) {
        $random = str_replace('.', '', uniqid('', true));
    }
    return $hook . '-' . ($ticket !== '' ? $ticket . '-' : '') . $random;
}

/** Writes one line to the WHMCS Activity Log, or to the PHP error log outside WHMCS. */
function autoresponder_log($message)
{
    $message = 'Auto-responder hook: ' . $message;
    if (function_exists('logActivity')) {
        logActivity($message);
    } else {
        error_log($message);
    }
}

/**
 * One POST. Returns array(HTTP status or 0 on a network error, description).
 */
function autoresponder_post($url, $body, $signature, $timeoutMs)
{
    $ch = curl_init($url);
    if ($ch === false) {
        return array(0, 'curl_init failed');
    }
    curl_setopt_array($ch, array(
        CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => $body,
        CURLOPT_HTTPHEADER => array(
            'Content-Type: application/json',
            'X-Signature: ' . $signature,
            'User-Agent: whmcs-autoresponder-hook/1',
            // No "Expect: 100-continue" round trip for bodies over 1 KB.
            'Expect:',
        ),
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_FOLLOWLOCATION => false,
        CURLOPT_CONNECTTIMEOUT_MS => min(AUTORESPONDER_CONNECT_TIMEOUT_MS, $timeoutMs),
        CURLOPT_TIMEOUT_MS => $timeoutMs,
        // Millisecond timeouts need this with the default (signal-based) resolver.
        CURLOPT_NOSIGNAL => true,
    ));
    $response = curl_exec($ch);
    if ($response === false) {
        $error = curl_error($ch);
        unset($ch);
        return array(0, 'network error: ' . $error);
    }
    $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
    unset($ch);
    return array($status, 'HTTP ' . $status . ': ' . substr(trim((string) $response), 0, 300));
}

/**
 * Sends one hook call to the bot. Returns true when the bot answered 2xx.
 * Retries once, with the same id, after a network error or a 5xx, if the
 * time budget allows; a 4xx (bad signature, bad request) is not retried.
 */
function autoresponder_send($hook, array $vars)
{
    if (AUTORESPONDER_SECRET === '') {
        autoresponder_log($hook . ' not sent: AUTORESPONDER_SECRET is not set');
        return false;
    }
    if (!function_exists('curl_init')) {
        autoresponder_log($hook . ' not sent: the PHP curl extension is missing');
        return false;
    }
    $deadline = microtime(true) + AUTORESPONDER_TIMEOUT_MS / 1000;
    $payload = array(
        'event' => $hook,
        'id' => autoresponder_event_id($hook, $vars),
        'occurred_at' => gmdate('Y-m-d\TH:i:s\Z'),
        // An object even when empty: {} rather than [].
        'vars' => (object) $vars,
    );
    $body = json_encode($payload, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);
    if ($body === false) {
        autoresponder_log($hook . ' not sent: JSON encoding failed: ' . json_last_error_msg());
        return false;
    }
    $signature = 'sha256=' . hash_hmac('sha256', $body, AUTORESPONDER_SECRET);

    $result = 'no time left';
    for ($attempt = 1; $attempt <= 2; $attempt++) {
        $left = (int) floor(($deadline - microtime(true)) * 1000);
        if ($left < 100) {
            break;
        }
        list($status, $result) = autoresponder_post(AUTORESPONDER_URL, $body, $signature, $left);
        if ($status >= 200 && $status < 300) {
            return true;
        }
        if ($status >= 300 && $status < 500) {
            break; // refused: the same request would be refused again
        }
        if ($attempt === 1 && ($deadline - microtime(true)) > 0.3) {
            usleep(100000);
        }
    }
    $ticket = isset($vars['ticketid']) && is_scalar($vars['ticketid']) ? ' for ticket ' . $vars['ticketid'] : '';
    autoresponder_log($hook . $ticket . ' not delivered (' . $payload['id'] . '): ' . $result);
    return false;
}

foreach (autoresponder_hook_points() as $autoresponderHookPoint) {
    add_hook($autoresponderHookPoint, 1, function ($vars) use ($autoresponderHookPoint) {
        try {
            autoresponder_send($autoresponderHookPoint, is_array($vars) ? $vars : array());
        } catch (\Throwable $e) {
            autoresponder_log($autoresponderHookPoint . ' failed: ' . get_class($e) . ': ' . $e->getMessage());
        }
        // Nothing is returned: the hook never changes what WHMCS does.
    });
}
unset($autoresponderHookPoint);

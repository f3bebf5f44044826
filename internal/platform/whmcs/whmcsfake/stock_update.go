package whmcsfake

// UpdateTicket in the Stock fake: the strict checks of its parameters and
// the ticket state it changes (PLATFORMS-NEXT.md §2.2).

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// StockPriorities are the only priorities UpdateTicket accepts.
var StockPriorities = []string{"Low", "Medium", "High"}

// StockDepartments are the department ids of the fake installation; an
// UpdateTicket naming another is refused with "Department ID Not Found".
var StockDepartments = []string{"1", "2"}

// StockTicket is what UpdateTicket set on one ticket ("" when never set).
type StockTicket struct {
	Status, Priority string
	Flag             string // the admin id the ticket is flagged to
	DeptID           string
	CustomFields     map[string]string
}

// Ticket is the state of a ticket after the UpdateTicket calls so far.
func (s *Stock) Ticket(id string) StockTicket {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[id]
	t.CustomFields = maps.Clone(t.CustomFields)
	return t
}

// SetTicket seeds a ticket's state (custom fields a test expects to
// survive an update, for example).
func (s *Stock) SetTicket(id string, t StockTicket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.CustomFields = maps.Clone(t.CustomFields)
	s.tickets[id] = t
}

// stockUpdateChanges are the parameters that change a ticket; an
// UpdateTicket with none of them does nothing.
var stockUpdateChanges = []string{
	"status", "priority", "deptid", "flag", "removeFlag", "subject", "message", "cc", "userid",
	"name", "email", "created", "customfields", "preventClientClosure",
}

func stockCheckUpdate(c *stockChecks, form map[string]string, call *StockCall) {
	stockCheckTicketID(c, form["ticketid"])
	stockCheckBools(c, form, "markdown", "removeFlag", "preventClientClosure")
	for k, v := range form {
		if k != "message" && strings.TrimSpace(v) == "" {
			c.fail("fake: empty parameter", "%s is sent empty; leave it out", k)
		}
	}
	if !slices.ContainsFunc(stockUpdateChanges, func(k string) bool { _, ok := form[k]; return ok }) {
		c.fail("fake: nothing to update", "UpdateTicket with nothing to change")
	}
	if v, ok := form["status"]; ok && !slices.Contains(StockStatuses, v) {
		c.fail("Invalid Ticket Status. Valid statuses are: "+strings.Join(StockStatuses, ","),
			"status %q is not one of %q", v, StockStatuses)
	}
	if v, ok := form["priority"]; ok && !slices.Contains(StockPriorities, v) {
		c.fail("Invalid Ticket Priority. Valid priorities are: Low,Medium,High", "priority %q is not Low, Medium or High", v)
	}
	if v, ok := form["deptid"]; ok && !slices.Contains(StockDepartments, v) {
		c.fail("Department ID Not Found", "deptid %q is not a department of the installation (%q)", v, StockDepartments)
	}
	if v, ok := form["flag"]; ok {
		if !stockDigits(v) || strings.TrimLeft(v, "0") == "" {
			c.fail("fake: flag", "flag %q is not an admin id", v)
		}
		if _, both := form["removeFlag"]; both {
			c.fail("fake: flag", "flag and removeFlag together: flag or unflag?")
		}
	}
	if v, ok := form["customfields"]; ok {
		m, err := stockDecodeCustomFields(v)
		if err != nil {
			c.fail("fake: customfields", "customfields: %v", err)
		}
		call.CustomFields = m
	}
	stockCheckCommon(c, form, call)
}

// applyUpdate records what a valid UpdateTicket changed and returns
// WHMCS's answer. Custom fields not named keep their values (WHMCS saves
// each field it is given). The caller holds s.mu.
func (s *Stock) applyUpdate(call *StockCall) string {
	id := call.Params["ticketid"]
	t := s.tickets[id]
	if v, ok := call.Params["status"]; ok {
		t.Status = v
	}
	if v, ok := call.Params["priority"]; ok {
		t.Priority = v
	}
	if v, ok := call.Params["deptid"]; ok {
		t.DeptID = v
	}
	if v, ok := call.Params["flag"]; ok {
		t.Flag = v
	}
	if _, ok := call.Params["removeFlag"]; ok {
		t.Flag = ""
	}
	if len(call.CustomFields) > 0 {
		t.CustomFields = maps.Clone(t.CustomFields)
		if t.CustomFields == nil {
			t.CustomFields = map[string]string{}
		}
		maps.Copy(t.CustomFields, call.CustomFields)
	}
	s.tickets[id] = t
	b, _ := json.Marshal(map[string]string{"result": "success", "ticketid": id})
	return string(b)
}

-- The log viewer filters the audit log on lower(action), lower(actor_name) and
-- lower(resource_name) and pages it by seq. Without statistics on those expressions the
-- planner guesses that a filter matches almost nothing and scans the whole table instead of
-- walking seq backwards until a page is full (227 ms against 0.5 ms at 1,000,000 rows).
create statistics audit_log_filters on (lower(action)), (lower(actor_name)), (lower(resource_name)) from audit_log;

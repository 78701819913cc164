-- PostgreSQL gets planner statistics on the audit log's filter expressions here. SQLite's
-- planner walks the primary key for an ordered, limited query without them; nothing to do.
select 1;

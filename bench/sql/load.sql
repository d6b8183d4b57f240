-- Loads the dataset's CSV files into DuckDB tables with the data contract's types.
-- {data} is replaced by the dataset directory. Timestamps are UTC (the session zone is UTC).
CREATE TABLE resources AS SELECT * FROM read_csv('{data}/resources.csv', header = true, columns = {
  'id': 'VARCHAR', 'name': 'VARCHAR', 'team': 'VARCHAR', 'hours_per_day': 'DOUBLE', 'active': 'BOOLEAN',
  'cost_per_hour': 'DOUBLE'});
CREATE TABLE clients AS SELECT * FROM read_csv('{data}/clients.csv', header = true, columns = {
  'id': 'VARCHAR', 'name': 'VARCHAR', 'endpoints': 'BIGINT'});
CREATE TABLE tickets AS SELECT * FROM read_csv('{data}/tickets.csv', header = true, columns = {
  'id': 'VARCHAR', 'client_id': 'VARCHAR', 'assigned_resource_id': 'VARCHAR',
  'created_at': 'TIMESTAMP', 'completed_at': 'TIMESTAMP', 'status': 'VARCHAR', 'priority': 'VARCHAR',
  'queue': 'VARCHAR', 'issue_type': 'VARCHAR', 'ticket_type': 'VARCHAR', 'source': 'VARCHAR',
  'estimated_hours': 'DOUBLE', 'first_response_due': 'TIMESTAMP', 'first_response_at': 'TIMESTAMP',
  'resolution_plan_due': 'TIMESTAMP', 'resolution_plan_at': 'TIMESTAMP', 'resolved_due': 'TIMESTAMP',
  'resolved_at': 'TIMESTAMP', 'due_at': 'TIMESTAMP', 'last_activity_at': 'TIMESTAMP',
  'reopen_count': 'BIGINT', 'escalation_count': 'BIGINT'});
CREATE TABLE time_entries AS SELECT * FROM read_csv('{data}/time_entries.csv', header = true, columns = {
  'id': 'VARCHAR', 'resource_id': 'VARCHAR', 'ticket_id': 'VARCHAR', 'started_at': 'TIMESTAMP',
  'ended_at': 'TIMESTAMP', 'hours': 'DOUBLE', 'billable': 'BOOLEAN', 'created_at': 'TIMESTAMP',
  'project_id': 'VARCHAR'});
CREATE TABLE surveys AS SELECT * FROM read_csv('{data}/surveys.csv', header = true, columns = {
  'id': 'VARCHAR', 'ticket_id': 'VARCHAR', 'resource_id': 'VARCHAR', 'client_id': 'VARCHAR',
  'responded_at': 'TIMESTAMP', 'score': 'DOUBLE', 'max_score': 'DOUBLE'});
-- Data contract v1.1: the business tables. Dates are DATE (a UTC midnight in this session).
CREATE TABLE contracts AS SELECT * FROM read_csv('{data}/contracts.csv', header = true, columns = {
  'id': 'VARCHAR', 'client_id': 'VARCHAR', 'name': 'VARCHAR', 'contract_type': 'VARCHAR',
  'start_date': 'DATE', 'end_date': 'DATE', 'monthly_value': 'DOUBLE'});
CREATE TABLE devices AS SELECT * FROM read_csv('{data}/devices.csv', header = true, columns = {
  'id': 'VARCHAR', 'client_id': 'VARCHAR', 'contract_id': 'VARCHAR', 'device_type': 'VARCHAR',
  'discovered_at': 'TIMESTAMP', 'reviewed_at': 'TIMESTAMP', 'retired_at': 'TIMESTAMP'});
CREATE TABLE billing_items AS SELECT * FROM read_csv('{data}/billing_items.csv', header = true, columns = {
  'id': 'VARCHAR', 'client_id': 'VARCHAR', 'contract_id': 'VARCHAR', 'posted_at': 'TIMESTAMP',
  'amount': 'DOUBLE', 'cost': 'DOUBLE', 'kind': 'VARCHAR'});
CREATE TABLE projects AS SELECT * FROM read_csv('{data}/projects.csv', header = true, columns = {
  'id': 'VARCHAR', 'client_id': 'VARCHAR', 'name': 'VARCHAR', 'budget_hours': 'DOUBLE',
  'start_date': 'DATE', 'due_date': 'DATE', 'completed_at': 'TIMESTAMP'});
CREATE TABLE opportunities AS SELECT * FROM read_csv('{data}/opportunities.csv', header = true, columns = {
  'id': 'VARCHAR', 'client_id': 'VARCHAR', 'owner_resource_id': 'VARCHAR', 'category': 'VARCHAR',
  'amount': 'DOUBLE', 'created_at': 'TIMESTAMP', 'closed_at': 'TIMESTAMP', 'outcome': 'VARCHAR',
  'reason': 'VARCHAR'});
-- The calendar months [s, e) whose start is in [{from}, {to}); c = min(e, as_of); Mon-Fri workdays.
CREATE TABLE months AS
  SELECT strftime(s, '%Y-%m') AS label, s, e, least(e, TIMESTAMP '{as_of}') AS c,
         (SELECT count(*) FROM range(s, e, INTERVAL 1 DAY) d(day) WHERE isodow(day) <= 5) AS workdays
  FROM (SELECT m AS s, m + INTERVAL 1 MONTH AS e
        FROM range(TIMESTAMP '{from}', TIMESTAMP '{to}', INTERVAL 1 MONTH) r(m));

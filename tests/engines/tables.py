"""The canonical tables of the data contract with SQL types, shared by the engine runners."""

TABLES = {
    "resources": [("id", "text"), ("name", "text"), ("team", "text"), ("hours_per_day", "double"),
                  ("active", "bool"), ("cost_per_hour", "double")],
    "clients": [("id", "text"), ("name", "text"), ("endpoints", "bigint")],
    "tickets": [("id", "text"), ("client_id", "text"), ("assigned_resource_id", "text"),
                ("created_at", "ts"), ("completed_at", "ts"), ("status", "text"), ("priority", "text"),
                ("queue", "text"), ("issue_type", "text"), ("ticket_type", "text"), ("source", "text"),
                ("estimated_hours", "double"), ("first_response_due", "ts"), ("first_response_at", "ts"),
                ("resolution_plan_due", "ts"), ("resolution_plan_at", "ts"), ("resolved_due", "ts"),
                ("resolved_at", "ts"), ("due_at", "ts"), ("last_activity_at", "ts"),
                ("reopen_count", "bigint"), ("escalation_count", "bigint")],
    "time_entries": [("id", "text"), ("resource_id", "text"), ("ticket_id", "text"), ("started_at", "ts"),
                     ("ended_at", "ts"), ("hours", "double"), ("billable", "bool"), ("created_at", "ts"),
                     ("project_id", "text")],
    "surveys": [("id", "text"), ("ticket_id", "text"), ("resource_id", "text"), ("client_id", "text"),
                ("responded_at", "ts"), ("score", "double"), ("max_score", "double")],
    # Data contract v1.1: the table of the business scorecards that compile (`sales`).
    "opportunities": [("id", "text"), ("client_id", "text"), ("owner_resource_id", "text"),
                      ("category", "text"), ("amount", "double"), ("created_at", "ts"), ("closed_at", "ts"),
                      ("outcome", "text"), ("reason", "text")],
}

POSTGRES = {"text": "TEXT", "double": "DOUBLE PRECISION", "bigint": "BIGINT", "bool": "BOOLEAN",
            "ts": "TIMESTAMPTZ"}


def postgres_load(data):
    """psql script: the tables, and \\copy of each CSV file (columns in the file's header order)."""
    lines = []
    for table, columns in TABLES.items():
        cols = ", ".join(f"{c} {POSTGRES[t]}" for c, t in columns)
        lines.append(f"CREATE TABLE {table} ({cols});")
        path = f"{data}/{table}.csv"
        with open(path) as f:
            header = f.readline().strip()
        lines.append(f"\\copy {table} ({header}) FROM '{path}' WITH (FORMAT csv, HEADER true)")
    lines.append("ANALYZE;")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys
    sys.stdout.write(postgres_load(sys.argv[1]))

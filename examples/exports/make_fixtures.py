#!/usr/bin/env python3
"""Writes the export fixtures of examples/exports (deterministic): a ServiceNow incident event
log (CSV, and its .xlsx twin) and the expected KPI values computed here, independently of kpi.

Run from the repository root: python3 examples/exports/make_fixtures.py
"""
import datetime as dt
import json
import os
import random
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = ["number", "incident_state", "active", "reassignment_count", "reopen_count", "sys_mod_count",
           "made_sla", "caller_id", "opened_by", "opened_at", "sys_created_by", "sys_created_at",
           "sys_updated_by", "sys_updated_at", "contact_type", "location", "category", "subcategory",
           "u_symptom", "cmdb_ci", "impact", "urgency", "priority", "assignment_group", "assigned_to",
           "knowledge", "u_priority_confirmation", "notify", "problem_id", "rfc", "vendor", "caused_by",
           "closed_code", "resolved_by", "resolved_at", "closed_at"]
PRIORITIES = ["1 - Critical", "2 - High", "3 - Moderate", "4 - Low"]


def day_first(t):
    """ServiceNow's export format: day first, no leading zeros on day and month."""
    return f"{t.day}/{t.month}/{t.year} {t.hour:02d}:{t.minute:02d}" if t else "?"


def incidents(rng):
    out = []
    start = dt.datetime(2026, 1, 5, 8, 0)
    for n in range(48):
        opened = start + dt.timedelta(hours=rng.randrange(0, 80 * 24))
        opened = opened.replace(minute=rng.randrange(60))
        number = f"INC{10001 + n:07d}"
        resolvers = [f"Resolver {rng.randrange(1, 9)}" for _ in range(3)]
        reassign = rng.random() < 0.4
        reopen = rng.random() < 0.25
        open_at_end = n % 12 == 5
        made_sla = rng.random() < 0.7
        prio = PRIORITIES[rng.randrange(4)]
        events = []
        state = dict(number=number, reassignment_count=0, reopen_count=0, made_sla="true",
                     caller_id=f"Caller {rng.randrange(100, 999)}", opened_at=opened, priority=prio,
                     assignment_group=f"Group {rng.randrange(1, 5)}", assigned_to="?", resolved_at=None,
                     closed_at=None, category=f"Category {rng.randrange(1, 6)}", contact_type=rng.choice(["Phone", "Email", "Self service"]))
        t = opened

        def emit(s, **kw):
            state.update(kw)
            state["incident_state"] = s
            events.append(dict(state, sys_updated_at=t))

        emit("New")
        t += dt.timedelta(minutes=rng.randrange(5, 120))
        emit("Active", assigned_to=resolvers[0])
        if reassign:
            t += dt.timedelta(hours=rng.randrange(1, 20))
            emit("Active", assigned_to=resolvers[1], reassignment_count=state["reassignment_count"] + 1)
        if rng.random() < 0.3:
            t += dt.timedelta(hours=rng.randrange(1, 10))
            emit("Awaiting User Info")
            t += dt.timedelta(hours=rng.randrange(1, 10))
            emit("Active")
        if open_at_end:
            out.append((number, events, None))
            continue
        t += dt.timedelta(hours=rng.randrange(1, 60))
        if reopen:
            emit("Resolved", resolved_at=t, made_sla="true")
            t += dt.timedelta(hours=rng.randrange(2, 30))
            emit("Active", resolved_at=None, reopen_count=1)
            t += dt.timedelta(hours=rng.randrange(1, 40))
        emit("Resolved", resolved_at=t, made_sla="true" if made_sla else "false")
        t += dt.timedelta(days=rng.randrange(1, 4))
        emit("Closed", closed_at=t)
        out.append((number, events, events[-1]))
    return out


def rows(data):
    for n, (_, events, _) in enumerate(data):
        out = []
        for mod, e in enumerate(events):
            out.append({
                "number": e["number"], "incident_state": e["incident_state"],
                "active": "false" if e["incident_state"] == "Closed" else "true",
                "reassignment_count": e["reassignment_count"], "reopen_count": e["reopen_count"],
                "sys_mod_count": mod, "made_sla": e["made_sla"], "caller_id": e["caller_id"],
                "opened_by": "Opened by 17", "opened_at": e["opened_at"], "sys_created_by": "?",
                "sys_created_at": "?", "sys_updated_by": f"Updated by {mod + 1}", "sys_updated_at": e["sys_updated_at"],
                "contact_type": e["contact_type"], "location": "Location 143", "category": e["category"],
                "subcategory": "Subcategory 174", "u_symptom": "?", "cmdb_ci": "?", "impact": "2 - Medium",
                "urgency": "2 - Medium", "priority": e["priority"], "assignment_group": e["assignment_group"],
                "assigned_to": e["assigned_to"], "knowledge": "true", "u_priority_confirmation": "false",
                "notify": "Do Not Notify", "problem_id": "?", "rfc": "?", "vendor": "?", "caused_by": "?",
                "closed_code": "code 5" if e["closed_at"] else "?", "resolved_by": e["assigned_to"] if e["resolved_at"] else "?",
                "resolved_at": e["resolved_at"], "closed_at": e["closed_at"],
            })
        if n % 7 == 0:
            out[-1], out[-2] = out[-2], out[-1]
        yield from out


def expected(data):
    """Per month: tickets opened, and of the tickets resolved (their last resolution): how many, how many
    within SLA, how many reopened, and the distinct resolvers."""
    months = {}
    def m(t):
        return f"{t.year}-{t.month:02d}"
    for _, events, last in data:
        months.setdefault(m(events[0]["opened_at"]), {}).setdefault("opened", 0)
        months[m(events[0]["opened_at"])]["opened"] += 1
        if last is None:
            continue
        row = months.setdefault(m(last["resolved_at"]), {})
        row["resolved"] = row.get("resolved", 0) + 1
        row["met"] = row.get("met", 0) + (last["made_sla"] == "true")
        row["reopened"] = row.get("reopened", 0) + (last["reopen_count"] > 0)
    resolvers = sorted({e["assigned_to"] for _, ev, _ in data for e in ev[-1:] if e["assigned_to"] != "?"})
    return {"months": months, "tickets": len(data), "events": sum(len(e) for _, e, _ in data),
            "resources": resolvers}


def cell_csv(v):
    if isinstance(v, dt.datetime):
        return day_first(v)
    if v is None:
        return "?"
    s = str(v)
    return f'"{s}"' if "," in s or '"' in s else s


def write_xlsx(path, header, records):
    """A minimal .xlsx: inline strings, numbers, and dates as serial numbers with a date style."""
    from xml.sax.saxutils import escape
    def col(i):
        s = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            s = chr(65 + r) + s
        return s
    epoch = dt.datetime(1899, 12, 30)
    lines = []
    for r, values in enumerate([header] + records, start=1):
        cells = []
        for c, v in enumerate(values):
            ref = f"{col(c)}{r}"
            if isinstance(v, dt.datetime):
                serial = (v - epoch).total_seconds() / 86400
                cells.append(f'<c r="{ref}" s="1"><v>{serial!r}</v></c>')
            elif isinstance(v, int):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                text = "?" if v is None else str(v)
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>')
        lines.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + "".join(lines) + '</sheetData></worksheet>')
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Page 1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="22" applyNumberFormat="1"/></cellXfs></styleSheet>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            z.writestr(info, files[name], zipfile.ZIP_DEFLATED)


def main():
    data = incidents(random.Random(14))
    records = list(rows(data))
    out = os.path.join(HERE, "servicenow-events")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "incident_event_log.csv"), "w", newline="") as f:
        f.write(",".join(COLUMNS) + "\n")
        # The log is sorted by incident; within one, a few updates are out of order (ties of
        # sys_updated_at in real logs), which `order = "sys_mod_count"` puts right.
        for r in records:
            f.write(",".join(cell_csv(r[c]) for c in COLUMNS) + "\n")
    twin = os.path.join(HERE, "servicenow-events-xlsx")
    os.makedirs(twin, exist_ok=True)
    write_xlsx(os.path.join(twin, "incident_event_log.xlsx"), COLUMNS, [[r[c] for c in COLUMNS] for r in records])
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected(data), f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

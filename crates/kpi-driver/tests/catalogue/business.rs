//! The business scorecards (../shared/spec/business-catalogue.md): client_profitability,
//! contracts_devices, projects, sales and tech_time, each KPI against values worked out by hand.
//! Time zone America/Chicago (DST from 2026-03-08 02:00); naive timestamps and dates are local.
use crate::common::*;
use crate::AS_OF_APR10;
use kpi_eval::Status::{Met, Missed};

const CLIENTS: &str = "id,name\nA,Alpha\nB,Beta\nC,Gamma\nD,Delta\n";

/// client_profitability, March 2026 (R2 has no cost_per_hour: the param, default 0):
///   A: revenue b1 1000 + b2 500 (posted 2026-03-31 23:30 local: still March) = 1500; labour
///      e1 2 h x 50 + e2 1 h x 0 = 100; margin (1500 - cost 100 - 100) / 1500 = 0.8666.. (met);
///      new devices: d1 (d2 is February) = 1.
///   B: a billing item of 0: revenue 0, so gross_margin is no_data (zero revenue); labour 0 (e4 is
///      February); no devices.
///   C: revenue 400 (b5 is April); labour e3 4 h x 50 = 200 through project P1 (an entry without
///      a ticket finds its client through its project); margin (400 - 0 - 200) / 400 = 0.5, met on
///      the target exactly; new devices: d3 (2026-03-31 23:00 local) = 1.
///   D: no billing, no entries: revenue 0 (a sum of nothing), margin no_data.
///   e5 has neither ticket nor project: no client.
/// With `--param default_cost_per_hour=30`: A's labour 100 + 30 = 130, margin 1270 / 1500.
#[test]
fn client_profitability_revenue_labour_margin_devices() {
    let program = standard_rules();
    let files = [
        ("resources.csv", "id,name,cost_per_hour\nR1,Ann,50\nR2,Bob,\n"),
        ("clients.csv", CLIENTS),
        ("tickets.csv", "id,client_id,created_at\nT1,A,2026-03-01 08:00\nT2,B,2026-02-01 08:00\n"),
        ("projects.csv", "id,client_id,budget_hours\nP1,C,10\n"),
        (
            "time_entries.csv",
            "id,resource_id,ticket_id,project_id,started_at,ended_at,hours,billable\n\
             e1,R1,T1,,2026-03-02 09:00,2026-03-02 11:00,2,true\n\
             e2,R2,T1,,2026-03-03 09:00,2026-03-03 10:00,1,true\n\
             e3,R1,,P1,2026-03-04 09:00,2026-03-04 13:00,4,true\n\
             e4,R1,T2,,2026-02-28 09:00,2026-02-28 12:00,3,true\n\
             e5,R1,,,2026-03-05 09:00,2026-03-05 10:00,1,false\n",
        ),
        (
            "billing_items.csv",
            "id,client_id,posted_at,amount,cost\n\
             b1,A,2026-03-05 10:00,1000,100\n\
             b2,A,2026-03-31 23:30,500,\n\
             b3,B,2026-03-10 10:00,0,0\n\
             b4,C,2026-03-10 10:00,400,0\n\
             b5,C,2026-04-01 00:30,300,0\n",
        ),
        (
            "devices.csv",
            "id,client_id,discovered_at\nd1,A,2026-03-02 10:00\nd2,A,2026-02-27 10:00\nd3,C,2026-03-31 23:00\n",
        ),
    ];
    let data = dataset(CHICAGO, &files);
    let card = Run::new(&program, "client_profitability", AS_OF_APR10)
        .months("2026-03-01", "2026-04-01")
        .eval(&data);
    let groups: Vec<String> = row_keys(&card).into_iter().map(|(_, g)| g).collect();
    assert_eq!(groups, ["A", "B", "C", "D"]);
    assert_kpi(&card, "2026-03", "A", "revenue", 1500.0, Met);
    assert_kpi(&card, "2026-03", "A", "labour_cost", 100.0, Met);
    assert_kpi(&card, "2026-03", "A", "gross_margin", 1300.0 / 1500.0, Met);
    assert_kpi(&card, "2026-03", "A", "new_devices", 1.0, Met);
    approx(row(&card, "2026-03", "A").score.unwrap(), 100.0);

    assert_kpi(&card, "2026-03", "B", "revenue", 0.0, Met);
    assert_kpi(&card, "2026-03", "B", "labour_cost", 0.0, Met);
    assert_no_data(&card, "2026-03", "B", "gross_margin");
    assert_kpi(&card, "2026-03", "B", "new_devices", 0.0, Met);

    assert_kpi(&card, "2026-03", "C", "revenue", 400.0, Met);
    assert_kpi(&card, "2026-03", "C", "labour_cost", 200.0, Met);
    assert_kpi(&card, "2026-03", "C", "gross_margin", 0.5, Met);
    assert_kpi(&card, "2026-03", "C", "new_devices", 1.0, Met);

    assert_kpi(&card, "2026-03", "D", "revenue", 0.0, Met);
    assert_no_data(&card, "2026-03", "D", "gross_margin");

    let card = Run::new(&program, "client_profitability", AS_OF_APR10)
        .months("2026-03-01", "2026-04-01")
        .params(&[("default_cost_per_hour", "30")])
        .eval(&data);
    assert_kpi(&card, "2026-03", "A", "labour_cost", 130.0, Met);
    assert_kpi(&card, "2026-03", "A", "gross_margin", 1270.0 / 1500.0, Met);
}

/// A client losing money: revenue 100, direct cost 20, labour 3 h x 60 = 180:
/// margin (100 - 20 - 180) / 100 = -1.0, missed, attainment 0 (a negative margin scores 0).
#[test]
fn client_profitability_a_loss_scores_zero() {
    let program = standard_rules();
    let files = [
        ("resources.csv", "id,name,cost_per_hour\nR1,Ann,60\n"),
        ("clients.csv", "id,name\nA,Alpha\n"),
        ("tickets.csv", "id,client_id,created_at\nT1,A,2026-03-01 08:00\n"),
        (
            "time_entries.csv",
            "id,resource_id,ticket_id,started_at,ended_at,hours,billable\ne1,R1,T1,2026-03-02 09:00,2026-03-02 12:00,3,true\n",
        ),
        ("billing_items.csv", "id,client_id,posted_at,amount,cost\nb1,A,2026-03-05 10:00,100,20\n"),
        ("devices.csv", "id,client_id,discovered_at\n"),
    ];
    let data = dataset(CHICAGO, &files);
    let card = Run::new(&program, "client_profitability", AS_OF_APR10)
        .months("2026-03-01", "2026-04-01")
        .eval(&data);
    assert_kpi(&card, "2026-03", "A", "gross_margin", -1.0, Missed);
    assert_attainment(&card, "2026-03", "A", "gross_margin", 0.0);
}

/// contracts_devices at 2026-04-10 12:00 CDT.
///   Contracts (end dates inclusive: a contract ends at the local midnight after its end_date):
///     K1 A evergreen (no end): active, long-term, never expiring.
///     K2 B 2025-05-01 .. 2026-04-30 (the last day of a month): active; ends 05-01 00:00, within
///        30 days; 364 days long: not long-term.
///     K7 B 2025-04-10 .. 2026-04-10: ends today, so still active (until 04-11 00:00) and within
///        30 days; 365 days: long-term.
///     K3 C 2026-01-01 .. 2026-03-31: over (ended 04-01 00:00): neither active nor expiring.
///     K4 C 2026-04-01 .. 2026-06-30: active; ends 07-01 00:00: after as_of + 60 d (06-09 12:00),
///        before as_of + 90 d (07-09 12:00); 90 days: not long-term.
///     K5 D starts 2026-04-11: not active yet.
///   expiring_30d = 2 (K2, K7), expiring_60d = 2, expiring_90d = 3 (+ K4).
///   long_term_share: clients with an active contract A, B, C; long-term A (evergreen), B (K7):
///   2 / 3 (met, >= 50 %).
///   Devices in service and not reviewed at as_of: d1 (never reviewed), d2 (reviewed after
///   as_of), d6 (retired after as_of); not d3 (reviewed), d4 (discovered after as_of), d5
///   (retired before as_of): 3 (met, <= 10). Score 100.
#[test]
fn contracts_devices_snapshot() {
    let program = standard_rules();
    let files = [
        ("clients.csv", CLIENTS),
        (
            "contracts.csv",
            "id,client_id,contract_type,start_date,end_date\n\
             K1,A,managed,2025-01-01,\n\
             K2,B,managed,2025-05-01,2026-04-30\n\
             K7,B,block_hours,2025-04-10,2026-04-10\n\
             K3,C,managed,2026-01-01,2026-03-31\n\
             K4,C,managed,2026-04-01,2026-06-30\n\
             K5,D,managed,2026-04-11,\n",
        ),
        (
            "devices.csv",
            "id,client_id,discovered_at,reviewed_at,retired_at\n\
             d1,A,2026-03-01 10:00,,\n\
             d2,A,2026-03-01 10:00,2026-04-11 09:00,\n\
             d3,B,2026-03-01 10:00,2026-04-01 09:00,\n\
             d4,B,2026-04-11 09:00,,\n\
             d5,C,2026-01-01 10:00,,2026-04-01 09:00\n\
             d6,C,2026-01-01 10:00,,2026-05-01 09:00\n",
        ),
    ];
    let data = dataset(CHICAGO, &files);
    let card = Run::new(&program, "contracts_devices", AS_OF_APR10).eval(&data);
    assert_kpi(&card, "", "", "expiring_30d", 2.0, Met);
    assert_kpi(&card, "", "", "expiring_60d", 2.0, Met);
    assert_kpi(&card, "", "", "expiring_90d", 3.0, Met);
    assert_kpi(&card, "", "", "long_term_share", 2.0 / 3.0, Met);
    assert_kpi(&card, "", "", "devices_awaiting_review", 3.0, Met);
    approx(row(&card, "", "").score.unwrap(), 100.0);
}

/// projects, March 2026 (c = 2026-04-01 00:00 local):
///   over_budget, of projects with a budget open at c or completed in March:
///     P1 (open; 6 h in February + 5 h in March = 11 > 10; April's 3 h come after c): over
///     P2 (completed in March; 8 h <= 10): not over
///     P6 (starts 2026-03-31, open at c; 3 h > 2): over
///     P7 (completed 2026-03-31 23:30; 0 h): not over
///     not P3 (no budget), P4 (starts 2026-04-02), P5 (completed in February)
///   = 2 / 4 = 0.5, missed; attainment 10 % / 50 % = 0.2.
///   on_time, of projects completed in March with a due date:
///     P2 due 2026-03-08 (the day clocks spring forward), completed 03-09 00:30: late (the due
///        day ended at 03-09 00:00 local, 23 hours after it began)
///     P3 due 03-20, completed 03-20 23:59: on time; P7 due 03-31, completed 03-31 23:30: on time
///   = 2 / 3, missed.
#[test]
fn projects_over_budget_and_on_time() {
    let program = standard_rules();
    let files = [
        ("resources.csv", "id,name\nR1,Ann\n"),
        (
            "projects.csv",
            "id,client_id,budget_hours,start_date,due_date,completed_at\n\
             P1,A,10,2026-01-10,2026-05-01,\n\
             P2,A,10,2026-02-01,2026-03-08,2026-03-09 00:30\n\
             P3,B,,2026-02-01,2026-03-20,2026-03-20 23:59\n\
             P4,B,5,2026-04-02,,\n\
             P5,C,4,2026-01-01,2026-02-10,2026-02-15 10:00\n\
             P6,C,2,2026-03-31,,\n\
             P7,C,100,2026-03-01,2026-03-31,2026-03-31 23:30\n",
        ),
        (
            "time_entries.csv",
            "id,resource_id,project_id,started_at,ended_at,hours,billable\n\
             e1,R1,P1,2026-02-10 09:00,2026-02-10 15:00,6,true\n\
             e2,R1,P1,2026-03-10 09:00,2026-03-10 14:00,5,true\n\
             e3,R1,P1,2026-04-02 09:00,2026-04-02 12:00,3,true\n\
             e4,R1,P2,2026-03-05 09:00,2026-03-05 17:00,8,true\n\
             e5,R1,P6,2026-03-31 10:00,2026-03-31 13:00,3,true\n",
        ),
    ];
    let data = dataset(CHICAGO, &files);
    let card = Run::new(&program, "projects", AS_OF_APR10).months("2026-03-01", "2026-04-01").eval(&data);
    assert_kpi(&card, "2026-03", "", "over_budget", 0.5, Missed);
    assert_attainment(&card, "2026-03", "", "over_budget", 0.2);
    assert_kpi(&card, "2026-03", "", "on_time", 2.0 / 3.0, Missed);
}

/// sales, March 2026 (c = 2026-04-01 00:00 local):
///   pipeline_coverage: open at c O1 100000 (never closed) + O2 50000 (closes 04-05) = 150000 /
///     monthly_sales_target 50000 = 3.0 (300 %), missed against 400 %; attainment 0.75. Not O3,
///     O4, O5, O7 (closed in March), O6 (created in April).
///   win_rate: closed in March as won or lost: O3 won, O4 lost, O7 won = 2 / 3 (met); O5 closed
///     without an outcome counts in neither.
///   deal_velocity: won in March: O3 03-01 00:00 CST -> 03-21 12:00 CDT = 20 d 12 h - 1 h = 491 h;
///     O7 01-10 09:00 CST -> 03-31 09:00 CDT = 80 d - 1 h = 1919 h; mean 1205 h <= 60 d (met).
///   lost_value: O4 30000.
#[test]
fn sales_pipeline_win_rate_velocity_lost_value() {
    let program = standard_rules();
    let files = [
        ("resources.csv", "id,name\nR1,Ann\n"),
        (
            "opportunities.csv",
            "id,owner_resource_id,category,amount,created_at,closed_at,outcome,reason\n\
             O1,R1,project,100000,2026-02-01 09:00,,,\n\
             O2,R1,hardware,50000,2026-03-15 09:00,2026-04-05 09:00,won,price\n\
             O3,R1,project,20000,2026-03-01 00:00,2026-03-21 12:00,won,referral\n\
             O4,R1,project,30000,2026-02-20 12:00,2026-03-10 12:00,lost,price\n\
             O5,R1,hardware,5000,2026-03-02 09:00,2026-03-25 09:00,,\n\
             O6,R1,hardware,7000,2026-04-02 09:00,,,\n\
             O7,R1,managed services,1000,2026-01-10 09:00,2026-03-31 09:00,won,relationship\n",
        ),
    ];
    let data = dataset(CHICAGO, &files);
    let card = Run::new(&program, "sales", AS_OF_APR10).months("2026-03-01", "2026-04-01").eval(&data);
    assert_kpi(&card, "2026-03", "", "pipeline_coverage", 3.0, Missed);
    assert_attainment(&card, "2026-03", "", "pipeline_coverage", 0.75);
    assert_kpi(&card, "2026-03", "", "win_rate", 2.0 / 3.0, Met);
    assert_kpi(&card, "2026-03", "", "deal_velocity", 1205.0, Met);
    assert_kpi(&card, "2026-03", "", "lost_value", 30000.0, Met);
}

/// tech_time, March 2026 (22 workdays): R1 ticket 6 h + project 2 h billable, internal 2 h:
/// utilization 8 / 176; admin_share 2 / 10 = 20 %, met exactly. R2 only internal time: 1 / 1,
/// missed. R3 is inactive: no row.
#[test]
fn tech_time_utilization_and_admin_share() {
    let program = standard_rules();
    let files = [
        ("resources.csv", "id,name,active\nR1,Ann,true\nR2,Bob,true\nR3,Cy,false\n"),
        ("tickets.csv", "id,created_at\nT1,2026-03-01 08:00\n"),
        ("projects.csv", "id,client_id\nP1,A\n"),
        (
            "time_entries.csv",
            "id,resource_id,ticket_id,project_id,started_at,ended_at,hours,billable\n\
             e1,R1,T1,,2026-03-02 09:00,2026-03-02 15:00,6,true\n\
             e2,R1,,P1,2026-03-03 09:00,2026-03-03 11:00,2,true\n\
             e3,R1,,,2026-03-04 09:00,2026-03-04 11:00,2,false\n\
             e4,R2,,,2026-03-04 09:00,2026-03-04 10:00,1,false\n\
             e5,R3,,,2026-03-04 09:00,2026-03-04 10:00,1,false\n",
        ),
    ];
    let data = dataset(CHICAGO, &files);
    let card = Run::new(&program, "tech_time", AS_OF_APR10).months("2026-03-01", "2026-04-01").eval(&data);
    let groups: Vec<String> = row_keys(&card).into_iter().map(|(_, g)| g).collect();
    assert_eq!(groups, ["R1", "R2"]);
    assert_kpi(&card, "2026-03", "R1", "utilization", 8.0 / 176.0, Missed);
    assert_kpi(&card, "2026-03", "R1", "admin_share", 0.2, Met);
    assert_kpi(&card, "2026-03", "R2", "admin_share", 1.0, Missed);
}

/// A rule that reads a table the dataset has no file for is an error naming the table (the
/// tables of data contract v1.1; an absent surveys file is still an empty table).
#[test]
fn a_missing_business_table_is_an_error_naming_it() {
    let program = standard_rules();
    let data = dataset(CHICAGO, &[]);
    let options = Run::new(&program, "sales", AS_OF_APR10).months("2026-03-01", "2026-04-01").options(&data);
    let err = kpi_eval::evaluate(&program, &data, &options).expect_err("no opportunities file");
    let message = err.to_string();
    assert!(message.contains("`opportunities`") && message.contains("sales"), "{message}");
}

/// The breakdowns a consultant asks for: lost value per reason, devices per device type and per
/// contract type (through the device's contract).
#[test]
fn breakdowns_by_reason_device_type_and_contract_type() {
    let rules = rules_from_text(
        "breakdowns.kpi",
        r#"
scorecard lost_by_reason {
  per reason
  kpi lost { from opportunities by closed_at  where outcome = "lost"  value sum(amount)  target >= 0  weight 100 }
}
scorecard devices_by_type {
  period snapshot
  per device_type
  kpi n { from devices open at as_of  value count()  target >= 0  weight 100 }
}
scorecard devices_by_contract_type {
  period snapshot
  per contract_type
  kpi n { from devices open at as_of  value count()  target >= 0  weight 100 }
}
"#,
    );
    let files = [
        ("contracts.csv", "id,client_id,contract_type,start_date\nK1,A,managed,2025-01-01\nK2,A,retainer,2025-01-01\n"),
        (
            "devices.csv",
            "id,client_id,contract_id,device_type,discovered_at\n\
             d1,A,K1,server,2026-01-01 10:00\nd2,A,K1,laptop,2026-01-01 10:00\nd3,A,K2,laptop,2026-01-01 10:00\nd4,A,,laptop,2026-01-01 10:00\n",
        ),
        (
            "opportunities.csv",
            "id,amount,created_at,closed_at,outcome,reason\n\
             O1,100,2026-03-01 09:00,2026-03-02 09:00,lost,price\nO2,50,2026-03-01 09:00,2026-03-03 09:00,lost,price\n\
             O3,70,2026-03-01 09:00,2026-03-04 09:00,lost,timing\n",
        ),
    ];
    let data = dataset(CHICAGO, &files);
    let card = Run::new(&rules, "lost_by_reason", AS_OF_APR10).months("2026-03-01", "2026-04-01").eval(&data);
    assert_kpi(&card, "2026-03", "price", "lost", 150.0, Met);
    assert_kpi(&card, "2026-03", "timing", "lost", 70.0, Met);
    let card = Run::new(&rules, "devices_by_type", AS_OF_APR10).eval(&data);
    assert_kpi(&card, "", "laptop", "n", 3.0, Met);
    assert_kpi(&card, "", "server", "n", 1.0, Met);
    let card = Run::new(&rules, "devices_by_contract_type", AS_OF_APR10).eval(&data);
    assert_kpi(&card, "", "managed", "n", 2.0, Met);
    assert_kpi(&card, "", "retainer", "n", 1.0, Met);
}

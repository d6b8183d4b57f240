//! The canonical MSP dataset of data contract v1.1: the one place that names its tables, columns, links and groupings.
//!
//! The checker uses it to resolve names before any data is read; the data layer uses it to load and
//! type the files; the evaluator uses it to follow links and to group rows.
#![forbid(unsafe_code)]

use std::fmt;

/// The type of a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Text,
    Int,
    Number,
    Bool,
    Timestamp,
    /// A calendar date (`YYYY-MM-DD`), held as its local midnight in the dataset's time zone, so
    /// it compares with instants directly.
    Date,
}

impl ColumnType {
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Int => "int",
            ColumnType::Number => "number",
            ColumnType::Bool => "bool",
            ColumnType::Timestamp => "timestamp",
            ColumnType::Date => "date",
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The unit a numeric column carries into KPI values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnUnit {
    /// A plain number (a survey score).
    Number,
    /// Hours of work.
    Hours,
    /// A count of things (endpoints, reopens).
    Count,
    /// An amount of money in the MSP's currency (one currency per dataset).
    Currency,
}

/// The value a null cell takes, as the data contract says ("default 0").
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColumnDefault {
    Int(i64),
    Number(f64),
    Bool(bool),
}

/// One column of a canonical table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSchema {
    pub name: &'static str,
    pub ty: ColumnType,
    /// The header must be present and every cell non-empty (`*` in the contract).
    pub required: bool,
    /// Every value is distinct (the table's id).
    pub unique: bool,
    pub unit: Option<ColumnUnit>,
    pub default: Option<ColumnDefault>,
    pub doc: &'static str,
}

/// A many-to-one link: `column` of this table holds an id of `table`, reachable in rules as `name`
/// (a time entry's `ticket`). The reverse direction is a to-many relation named after this table
/// (a ticket's `time_entries`).
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub name: &'static str,
    pub column: &'static str,
    pub table: &'static str,
}

/// How a scorecard groups its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grouping {
    Resource,
    Client,
    Team,
    Queue,
    /// The `contract_type` of contracts (and of devices and billing items, through their contract).
    ContractType,
    /// The `device_type` of devices.
    DeviceType,
    /// The `category` of opportunities.
    Category,
    /// The won/lost `reason` of opportunities.
    Reason,
}

impl Grouping {
    pub const ALL: [Grouping; 8] = [
        Grouping::Resource,
        Grouping::Client,
        Grouping::Team,
        Grouping::Queue,
        Grouping::ContractType,
        Grouping::DeviceType,
        Grouping::Category,
        Grouping::Reason,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Grouping::Resource => "resource",
            Grouping::Client => "client",
            Grouping::Team => "team",
            Grouping::Queue => "queue",
            Grouping::ContractType => "contract_type",
            Grouping::DeviceType => "device_type",
            Grouping::Category => "category",
            Grouping::Reason => "reason",
        }
    }

    /// For a grouping by a label, the column whose distinct values are the groups (the groups of
    /// resources, clients and teams come from the resources and clients tables instead).
    pub fn label_column(self) -> Option<ColumnId> {
        Some(match self {
            Grouping::Resource | Grouping::Client | Grouping::Team => return None,
            Grouping::Queue => columns::TICKET_QUEUE,
            Grouping::ContractType => columns::CONTRACT_TYPE,
            Grouping::DeviceType => columns::DEVICE_TYPE,
            Grouping::Category => columns::OPPORTUNITY_CATEGORY,
            Grouping::Reason => columns::OPPORTUNITY_REASON,
        })
    }

    pub fn from_name(name: &str) -> Option<Grouping> {
        Grouping::ALL.into_iter().find(|g| g.name() == name)
    }
}

impl fmt::Display for Grouping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a table's row finds its group: follow `links` (by link name) then read `column`.
/// `resource` of a ticket is `assigned_resource_id`; `client` of a time entry is `ticket.client_id`.
#[derive(Debug, Clone, Copy)]
pub struct GroupPath {
    pub grouping: Grouping,
    pub links: &'static [&'static str],
    pub column: &'static str,
    /// Links to follow instead when `links` lead nowhere (a null or unknown id) or to a null
    /// `column`: a time entry's client is its ticket's, else its project's.
    pub otherwise: Option<&'static [&'static str]>,
}

const fn path(grouping: Grouping, links: &'static [&'static str], column: &'static str) -> GroupPath {
    GroupPath { grouping, links, column, otherwise: None }
}

/// When a row of a table is *open* (in effect): from `start` (at or before the instant) until
/// `end` (null = still open). An `end` of type date is inclusive: the row is open through that
/// whole day, until the next local midnight. `from T open at I` and `open_at(I)` read it.
#[derive(Debug, Clone, Copy)]
pub struct Lifetime {
    pub start: &'static str,
    pub end: &'static str,
}

/// One canonical table.
#[derive(Debug, Clone, Copy)]
pub struct TableSchema {
    pub id: TableId,
    pub name: &'static str,
    pub required: bool,
    pub columns: &'static [ColumnSchema],
    pub links: &'static [Link],
    pub groups: &'static [GroupPath],
    /// When a row is open, for `open at`; `None`: rows of the table never open and close.
    pub lifetime: Option<Lifetime>,
    /// Data contract v1.1 tables: optional, but a rule that reads one needs its file (an absent
    /// file is an error naming the table, not an empty table that silently scores nothing).
    pub needs_file_when_read: bool,
    pub doc: &'static str,
}

impl TableSchema {
    pub fn column(&self, name: &str) -> Option<&'static ColumnSchema> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn link(&self, name: &str) -> Option<&'static Link> {
        self.links.iter().find(|l| l.name == name)
    }

    pub fn group_path(&self, grouping: Grouping) -> Option<&'static GroupPath> {
        self.groups.iter().find(|g| g.grouping == grouping)
    }

    /// The id column (`id`), which every canonical table has.
    pub fn id_column(&self) -> &'static ColumnSchema {
        self.column("id").expect("every canonical table has an id column")
    }
}

/// A to-many relation: the rows of `child` whose `link` points at a row of `parent`.
#[derive(Debug, Clone, Copy)]
pub struct Relation {
    pub parent: TableId,
    pub child: TableId,
    pub link: &'static Link,
}

const fn col(name: &'static str, ty: ColumnType, doc: &'static str) -> ColumnSchema {
    ColumnSchema { name, ty, required: false, unique: false, unit: None, default: None, doc }
}

const fn req(name: &'static str, ty: ColumnType, doc: &'static str) -> ColumnSchema {
    ColumnSchema { name, ty, required: true, unique: false, unit: None, default: None, doc }
}

const fn id(doc: &'static str) -> ColumnSchema {
    ColumnSchema {
        name: "id",
        ty: ColumnType::Text,
        required: true,
        unique: true,
        unit: None,
        default: None,
        doc,
    }
}

const fn with_unit(mut c: ColumnSchema, unit: ColumnUnit) -> ColumnSchema {
    c.unit = Some(unit);
    c
}

const fn with_default(mut c: ColumnSchema, default: ColumnDefault) -> ColumnSchema {
    c.default = Some(default);
    c
}

use ColumnType::{Bool, Date, Int, Number, Text, Timestamp};
use Grouping as G;

pub const RESOURCES: TableSchema = TableSchema {
    id: TableId::Resources,
    name: "resources",
    required: true,
    lifetime: None,
    needs_file_when_read: false,
    doc: "the technicians",
    columns: &[
        id("resource id"),
        req("name", Text, "display name"),
        col("team", Text, "team or department"),
        with_unit(
            col(
                "hours_per_day",
                Number,
                "contracted hours per working day; null means the parameter `hours_per_day`",
            ),
            ColumnUnit::Hours,
        ),
        with_default(
            col("active", Bool, "inactive resources get no scorecard rows"),
            ColumnDefault::Bool(true),
        ),
        with_unit(
            col(
                "cost_per_hour",
                Number,
                "loaded labour cost of one hour; null means the parameter `default_cost_per_hour`",
            ),
            ColumnUnit::Currency,
        ),
    ],
    links: &[],
    groups: &[path(G::Resource, &[], "id"), path(G::Team, &[], "team")],
};

pub const CLIENTS: TableSchema = TableSchema {
    id: TableId::Clients,
    name: "clients",
    required: false,
    lifetime: None,
    needs_file_when_read: false,
    doc: "the MSP's clients (companies)",
    columns: &[
        id("client id"),
        req("name", Text, "display name"),
        with_default(
            with_unit(col("endpoints", Int, "managed endpoints under contract"), ColumnUnit::Count),
            ColumnDefault::Int(0),
        ),
    ],
    links: &[],
    groups: &[path(G::Client, &[], "id")],
};

pub const TICKETS: TableSchema = TableSchema {
    id: TableId::Tickets,
    name: "tickets",
    required: true,
    lifetime: Some(Lifetime { start: "created_at", end: "completed_at" }),
    needs_file_when_read: false,
    doc: "service tickets",
    columns: &[
        id("ticket id or number"),
        col("client_id", Text, "the client of the ticket"),
        col("assigned_resource_id", Text, "the assigned technician; null = unassigned"),
        req("created_at", Timestamp, "ticket created"),
        col("completed_at", Timestamp, "ticket completed or closed; null = open"),
        col("status", Text, "PSA status label"),
        col("priority", Text, "PSA priority label"),
        col("queue", Text, "PSA queue or board label"),
        col("issue_type", Text, "PSA issue type label"),
        col(
            "ticket_type",
            Text,
            "incident, service_request, problem, change_request, alert, project, maintenance, ...",
        ),
        col("source", Text, "phone, email, portal, monitoring, ..."),
        with_unit(col("estimated_hours", Number, "estimate for the work"), ColumnUnit::Hours),
        col("first_response_due", Timestamp, "SLA milestone 1 (Triage) due"),
        col("first_response_at", Timestamp, "SLA milestone 1 (Triage) reached"),
        col("resolution_plan_due", Timestamp, "SLA milestone 2 (Tech Engagement) due"),
        col("resolution_plan_at", Timestamp, "SLA milestone 2 (Tech Engagement) reached"),
        col("resolved_due", Timestamp, "SLA milestone 3 (Completion) due"),
        col("resolved_at", Timestamp, "SLA milestone 3 (Completion) reached"),
        col("due_at", Timestamp, "ticket due date"),
        col("last_activity_at", Timestamp, "last activity of any kind"),
        with_default(
            with_unit(col("reopen_count", Int, "times the ticket was reopened"), ColumnUnit::Count),
            ColumnDefault::Int(0),
        ),
        with_default(
            with_unit(col("escalation_count", Int, "times the ticket was escalated"), ColumnUnit::Count),
            ColumnDefault::Int(0),
        ),
    ],
    links: &[
        Link { name: "client", column: "client_id", table: "clients" },
        Link { name: "resource", column: "assigned_resource_id", table: "resources" },
    ],
    groups: &[
        path(G::Resource, &[], "assigned_resource_id"),
        path(G::Client, &[], "client_id"),
        path(G::Team, &["resource"], "team"),
        path(G::Queue, &[], "queue"),
    ],
};

pub const TIME_ENTRIES: TableSchema = TableSchema {
    id: TableId::TimeEntries,
    name: "time_entries",
    required: true,
    lifetime: None,
    needs_file_when_read: false,
    doc: "time worked by technicians",
    columns: &[
        id("entry id"),
        req("resource_id", Text, "the technician who worked"),
        col("ticket_id", Text, "the ticket worked on; null = internal or project time"),
        req("started_at", Timestamp, "work started"),
        req("ended_at", Timestamp, "work ended"),
        with_unit(req("hours", Number, "hours worked"), ColumnUnit::Hours),
        req("billable", Bool, "the MSP is entitled to be paid for it"),
        col("created_at", Timestamp, "when the entry was recorded; null = unknown"),
        col("project_id", Text, "the project worked on; null = not project time"),
    ],
    links: &[
        Link { name: "resource", column: "resource_id", table: "resources" },
        Link { name: "ticket", column: "ticket_id", table: "tickets" },
        Link { name: "project", column: "project_id", table: "projects" },
    ],
    groups: &[
        path(G::Resource, &[], "resource_id"),
        GroupPath {
            grouping: G::Client,
            links: &["ticket"],
            column: "client_id",
            otherwise: Some(&["project"]),
        },
        path(G::Team, &["resource"], "team"),
        path(G::Queue, &["ticket"], "queue"),
    ],
};

pub const SURVEYS: TableSchema = TableSchema {
    id: TableId::Surveys,
    name: "surveys",
    required: false,
    lifetime: None,
    needs_file_when_read: false,
    doc: "client satisfaction survey responses",
    columns: &[
        id("survey response id"),
        col("ticket_id", Text, "the ticket surveyed"),
        col("resource_id", Text, "the technician surveyed"),
        col("client_id", Text, "the client who answered"),
        req("responded_at", Timestamp, "when the client answered"),
        req("score", Number, "the answer"),
        with_default(col("max_score", Number, "top of the scale"), ColumnDefault::Number(5.0)),
    ],
    links: &[
        Link { name: "ticket", column: "ticket_id", table: "tickets" },
        Link { name: "resource", column: "resource_id", table: "resources" },
        Link { name: "client", column: "client_id", table: "clients" },
    ],
    groups: &[
        path(G::Resource, &[], "resource_id"),
        path(G::Client, &[], "client_id"),
        path(G::Team, &["resource"], "team"),
        path(G::Queue, &["ticket"], "queue"),
    ],
};

pub const CONTRACTS: TableSchema = TableSchema {
    id: TableId::Contracts,
    name: "contracts",
    required: false,
    doc: "the client agreements",
    columns: &[
        id("contract id"),
        req("client_id", Text, "the client of the contract"),
        col("name", Text, "contract name"),
        col("contract_type", Text, "managed, block_hours, time_and_materials, fixed_price, retainer, ..."),
        req("start_date", Date, "first day covered"),
        col("end_date", Date, "last day covered (inclusive); null = no end (evergreen)"),
        with_unit(
            col("monthly_value", Number, "recurring revenue per month (informational)"),
            ColumnUnit::Currency,
        ),
    ],
    links: &[Link { name: "client", column: "client_id", table: "clients" }],
    groups: &[path(G::Client, &[], "client_id"), path(G::ContractType, &[], "contract_type")],
    lifetime: Some(Lifetime { start: "start_date", end: "end_date" }),
    needs_file_when_read: true,
};

pub const DEVICES: TableSchema = TableSchema {
    id: TableId::Devices,
    name: "devices",
    required: false,
    doc: "configuration items (assets) discovered at clients",
    columns: &[
        id("device id"),
        req("client_id", Text, "the client the device belongs to"),
        col("contract_id", Text, "the contract covering it; null = not covered"),
        col("device_type", Text, "server, workstation, laptop, printer, network, ..."),
        req("discovered_at", Timestamp, "first seen (RMM discovery)"),
        col("reviewed_at", Timestamp, "when its contract scope was decided; null = awaiting review"),
        col("retired_at", Timestamp, "removed from the estate; null = in service"),
    ],
    links: &[
        Link { name: "client", column: "client_id", table: "clients" },
        Link { name: "contract", column: "contract_id", table: "contracts" },
    ],
    groups: &[
        path(G::Client, &[], "client_id"),
        path(G::ContractType, &["contract"], "contract_type"),
        path(G::DeviceType, &[], "device_type"),
    ],
    lifetime: Some(Lifetime { start: "discovered_at", end: "retired_at" }),
    needs_file_when_read: true,
};

pub const BILLING_ITEMS: TableSchema = TableSchema {
    id: TableId::BillingItems,
    name: "billing_items",
    required: false,
    doc: "what was billed: posted invoice lines",
    columns: &[
        id("item id"),
        req("client_id", Text, "the client billed"),
        col("contract_id", Text, "the contract billed under"),
        req("posted_at", Timestamp, "when it was posted (invoiced)"),
        with_unit(req("amount", Number, "revenue"), ColumnUnit::Currency),
        with_default(
            with_unit(
                col("cost", Number, "direct cost of goods or expenses behind it"),
                ColumnUnit::Currency,
            ),
            ColumnDefault::Number(0.0),
        ),
        col("kind", Text, "recurring, labour, product, expense, ..."),
    ],
    links: &[
        Link { name: "client", column: "client_id", table: "clients" },
        Link { name: "contract", column: "contract_id", table: "contracts" },
    ],
    groups: &[path(G::Client, &[], "client_id"), path(G::ContractType, &["contract"], "contract_type")],
    lifetime: None,
    needs_file_when_read: true,
};

pub const PROJECTS: TableSchema = TableSchema {
    id: TableId::Projects,
    name: "projects",
    required: false,
    doc: "projects sold to clients",
    columns: &[
        id("project id"),
        col("client_id", Text, "the client of the project"),
        col("name", Text, "project name"),
        with_unit(col("budget_hours", Number, "hours sold"), ColumnUnit::Hours),
        col("start_date", Date, "project start"),
        col("due_date", Date, "promised completion date"),
        col("completed_at", Timestamp, "completed; null = open"),
    ],
    links: &[Link { name: "client", column: "client_id", table: "clients" }],
    groups: &[path(G::Client, &[], "client_id")],
    lifetime: Some(Lifetime { start: "start_date", end: "completed_at" }),
    needs_file_when_read: true,
};

pub const OPPORTUNITIES: TableSchema = TableSchema {
    id: TableId::Opportunities,
    name: "opportunities",
    required: false,
    doc: "the sales pipeline",
    columns: &[
        id("opportunity id"),
        col("client_id", Text, "the client; null for a prospect not yet a client"),
        col("owner_resource_id", Text, "the salesperson who owns it"),
        col("category", Text, "managed services, project, hardware, ..."),
        with_unit(req("amount", Number, "expected revenue"), ColumnUnit::Currency),
        req("created_at", Timestamp, "opened"),
        col("closed_at", Timestamp, "won or lost; null = open"),
        col("outcome", Text, "won, lost, or null while open"),
        col("reason", Text, "won or lost reason"),
    ],
    links: &[
        Link { name: "client", column: "client_id", table: "clients" },
        Link { name: "owner", column: "owner_resource_id", table: "resources" },
    ],
    groups: &[
        path(G::Resource, &[], "owner_resource_id"),
        path(G::Client, &[], "client_id"),
        path(G::Team, &["owner"], "team"),
        path(G::Category, &[], "category"),
        path(G::Reason, &[], "reason"),
    ],
    lifetime: Some(Lifetime { start: "created_at", end: "closed_at" }),
    needs_file_when_read: true,
};

/// Every canonical table, in the order files are loaded and listed (the order of [`TableId`]).
pub const TABLES: &[TableSchema] = &[
    RESOURCES,
    CLIENTS,
    TICKETS,
    TIME_ENTRIES,
    SURVEYS,
    CONTRACTS,
    DEVICES,
    BILLING_ITEMS,
    PROJECTS,
    OPPORTUNITIES,
];

/// A canonical table, named in code by a typed identifier instead of a string: a lookup by id
/// cannot miss, and a misspelt table is a compile error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TableId {
    Resources,
    Clients,
    Tickets,
    TimeEntries,
    Surveys,
    Contracts,
    Devices,
    BillingItems,
    Projects,
    Opportunities,
}

impl TableId {
    /// In the order of [`TABLES`].
    pub const ALL: [TableId; 10] = [
        TableId::Resources,
        TableId::Clients,
        TableId::Tickets,
        TableId::TimeEntries,
        TableId::Surveys,
        TableId::Contracts,
        TableId::Devices,
        TableId::BillingItems,
        TableId::Projects,
        TableId::Opportunities,
    ];

    pub fn schema(self) -> &'static TableSchema {
        &TABLES[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.schema().name
    }

    /// The table a rule file or a data file names; `None` when no canonical table has the name.
    pub fn from_name(name: &str) -> Option<TableId> {
        TableId::ALL.into_iter().find(|t| t.name() == name)
    }

    /// A column of this table, by a name the schema must hold (checked by this crate's tests for
    /// every [`ColumnId`] constant).
    pub const fn column(self, name: &'static str) -> ColumnId {
        ColumnId { table: self, name }
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A column of a canonical table, as code names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ColumnId {
    pub table: TableId,
    pub name: &'static str,
}

impl ColumnId {
    pub fn schema(self) -> &'static ColumnSchema {
        self.table.schema().column(self.name).expect("ColumnId constants name schema columns (tested)")
    }
}

/// The columns that code outside the rules reads by name: the ones the engine itself needs
/// (ids, the resource columns behind `available_hours()`, groupings, the placements the data
/// checks compare).
pub mod columns {
    use super::{ColumnId, TableId};

    pub const ID: &str = "id";
    pub const RESOURCE_NAME: ColumnId = TableId::Resources.column("name");
    pub const RESOURCE_TEAM: ColumnId = TableId::Resources.column("team");
    pub const RESOURCE_HOURS_PER_DAY: ColumnId = TableId::Resources.column("hours_per_day");
    pub const RESOURCE_ACTIVE: ColumnId = TableId::Resources.column("active");
    pub const CLIENT_NAME: ColumnId = TableId::Clients.column("name");
    pub const TICKET_CREATED_AT: ColumnId = TableId::Tickets.column("created_at");
    pub const TICKET_COMPLETED_AT: ColumnId = TableId::Tickets.column("completed_at");
    pub const TICKET_QUEUE: ColumnId = TableId::Tickets.column("queue");
    pub const TIME_ENTRY_STARTED_AT: ColumnId = TableId::TimeEntries.column("started_at");
    pub const TIME_ENTRY_ENDED_AT: ColumnId = TableId::TimeEntries.column("ended_at");
    pub const TIME_ENTRY_HOURS: ColumnId = TableId::TimeEntries.column("hours");
    pub const SURVEY_RESPONDED_AT: ColumnId = TableId::Surveys.column("responded_at");
    pub const RESOURCE_COST_PER_HOUR: ColumnId = TableId::Resources.column("cost_per_hour");
    pub const CONTRACT_TYPE: ColumnId = TableId::Contracts.column("contract_type");
    pub const DEVICE_TYPE: ColumnId = TableId::Devices.column("device_type");
    pub const OPPORTUNITY_CATEGORY: ColumnId = TableId::Opportunities.column("category");
    pub const OPPORTUNITY_REASON: ColumnId = TableId::Opportunities.column("reason");

    /// Every constant above, for the test that they exist.
    pub const ALL: &[ColumnId] = &[
        RESOURCE_NAME,
        RESOURCE_TEAM,
        RESOURCE_HOURS_PER_DAY,
        RESOURCE_ACTIVE,
        CLIENT_NAME,
        TICKET_CREATED_AT,
        TICKET_COMPLETED_AT,
        TICKET_QUEUE,
        TIME_ENTRY_STARTED_AT,
        TIME_ENTRY_ENDED_AT,
        TIME_ENTRY_HOURS,
        SURVEY_RESPONDED_AT,
        RESOURCE_COST_PER_HOUR,
        CONTRACT_TYPE,
        DEVICE_TYPE,
        OPPORTUNITY_CATEGORY,
        OPPORTUNITY_REASON,
    ];
}

pub fn table(name: &str) -> Option<&'static TableSchema> {
    TABLES.iter().find(|t| t.name == name)
}

/// The to-many relation `name` of `parent` rows: `time_entries` of a ticket, `tickets` of a resource.
pub fn relation(parent: &str, name: &str) -> Option<Relation> {
    let child = table(name)?;
    let link = child.links.iter().find(|l| l.table == parent)?;
    Some(Relation { parent: table(parent)?.id, child: child.id, link })
}

/// Every to-many relation of `parent`, in table order.
pub fn relations(parent: &str) -> impl Iterator<Item = Relation> + '_ {
    TABLES.iter().filter_map(move |child| relation(parent, child.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_point_at_tables_and_columns() {
        for t in TABLES {
            for l in t.links {
                assert!(table(l.table).is_some(), "{}.{} -> {}", t.name, l.name, l.table);
                assert!(t.column(l.column).is_some(), "{}.{}", t.name, l.column);
            }
            for g in t.groups {
                let mut here = t;
                for link in g.links {
                    here = table(here.link(link).unwrap().table).unwrap();
                }
                assert!(here.column(g.column).is_some(), "{} {}", t.name, g.grouping);
                if let Some(otherwise) = g.otherwise {
                    let mut here = t;
                    for link in otherwise {
                        here = table(here.link(link).unwrap().table).unwrap();
                    }
                    assert!(here.column(g.column).is_some(), "{} {} otherwise", t.name, g.grouping);
                }
            }
            if let Some(life) = t.lifetime {
                for name in [life.start, life.end] {
                    let c = t.column(name).unwrap();
                    assert!(matches!(c.ty, ColumnType::Timestamp | ColumnType::Date), "{}.{name}", t.name);
                }
            }
        }
    }

    #[test]
    fn typed_identifiers_name_schema_tables_and_columns() {
        for (i, id) in TableId::ALL.into_iter().enumerate() {
            assert_eq!(id.schema().name, TABLES[i].name);
            assert_eq!(TABLES[i].id, id);
            assert_eq!(TableId::from_name(id.name()), Some(id));
            assert!(id.schema().column(columns::ID).is_some());
        }
        assert_eq!(TableId::from_name("ticket"), None);
        for c in columns::ALL {
            assert_eq!(c.schema().name, c.name, "{}.{}", c.table, c.name);
        }
    }

    #[test]
    fn reverse_relations() {
        let r = relation("tickets", "time_entries").unwrap();
        assert_eq!(r.link.column, "ticket_id");
        let r = relation("resources", "tickets").unwrap();
        assert_eq!(r.link.column, "assigned_resource_id");
        assert!(relation("tickets", "clients").is_none());
        assert_eq!(relations("tickets").count(), 2);
    }
}

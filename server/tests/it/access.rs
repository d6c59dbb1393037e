//! The record-read rule exists twice, in Rust (`access::may_read`, on a loaded document) and in
//! SQL (`readable_records`, on the projection's columns). This checks that both decide alike over
//! random records and random people, with a seeded generator so a failure reproduces.

use std::collections::{BTreeSet, HashMap};

use autosurgeon::Text;
use duyan::access::{self, Content, People, Person, Reader, View};
use duyan::projection;
use duyan_shared::DocumentId;
use duyan_shared::records::Record;
use duyan_shared::rules::Role;
use duyan_shared::samples::{duban_item, meeting, research_record};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use sqlx::PgPool;

/// `u` and its children: a > b > c, a > d, and e on its own. Records may also name `x`, a unit
/// the directory does not know.
const PARENTS: [(&str, Option<&str>); 5] = [
    ("a", None),
    ("b", Some("a")),
    ("c", Some("b")),
    ("d", Some("a")),
    ("e", None),
];
const RECORD_UNITS: [&str; 6] = ["a", "b", "c", "d", "e", "x"];
const ROLES: [Role; 6] = [
    Role::Admin,
    Role::Leader,
    Role::Supervisor,
    Role::Handler,
    Role::Researcher,
    Role::Viewer,
];

struct Table {
    people: HashMap<String, Person>,
}

impl People for Table {
    fn person(&self, user_id: &str) -> Option<Person> {
        self.people.get(user_id).cloned()
    }

    fn unit_within(&self, unit: &str, ancestor: &str) -> bool {
        let mut current = Some(unit);
        while let Some(id) = current {
            if id == ancestor {
                return true;
            }
            current = PARENTS
                .iter()
                .find(|(u, _)| *u == id)
                .and_then(|(_, parent)| *parent);
        }
        false
    }

    fn subtree(&self, unit: &str) -> Vec<String> {
        let mut units: Vec<String> = PARENTS
            .iter()
            .filter(|(u, _)| self.unit_within(u, unit))
            .map(|(u, _)| (*u).to_owned())
            .collect();
        if !units.iter().any(|u| u == unit) {
            units.push(unit.to_owned());
        }
        units
    }
}

fn some_of(rng: &mut StdRng, users: &[String], most: usize) -> Vec<String> {
    let n = rng.random_range(0..=most);
    users.choose_multiple(rng, n).cloned().collect()
}

fn unit(rng: &mut StdRng) -> String {
    (*RECORD_UNITS.choose(rng).unwrap()).to_owned()
}

fn random_view(rng: &mut StdRng, users: &[String]) -> View {
    let someone = |rng: &mut StdRng| users.choose(rng).unwrap().clone();
    let owner = rng.random_bool(0.7).then(|| someone(rng).into());
    let content = match rng.random_range(0..10) {
        0 => Content::Damaged("unreadable".into()),
        1..=5 => {
            let co_units = (0..rng.random_range(0..3)).map(|_| unit(rng)).collect();
            Content::Record(Record::Duban(duyan_shared::records::DubanItem {
                created_by: someone(rng),
                handlers: some_of(rng, users, 3),
                supervisors: some_of(rng, users, 2),
                lead_unit: rng.random_bool(0.8).then(|| unit(rng)),
                co_units,
                detail: Text::with_value(""),
                ..duban_item()
            }))
        }
        // Meetings: read by name only, whatever their unit.
        6 => Content::Record(Record::Meeting(duyan_shared::records::Meeting {
            created_by: someone(rng),
            chair: someone(rng),
            attendees: some_of(rng, users, 4),
            unit: unit(rng),
            ..meeting()
        })),
        _ => Content::Record(Record::Research(duyan_shared::records::ResearchRecord {
            created_by: someone(rng),
            lead: someone(rng),
            members: some_of(rng, users, 3),
            unit: unit(rng),
            ..research_record()
        })),
    };
    View { owner, content }
}

#[sqlx::test(migrations = "./migrations")]
async fn rust_and_sql_decide_alike_who_reads_which_record(pool: PgPool) {
    let mut rng = StdRng::seed_from_u64(14);
    let users: Vec<String> = (0..24).map(|n| format!("u-{n}")).collect();
    let table = Table {
        people: users
            .iter()
            .map(|id| {
                let mut roles = ROLES.to_vec();
                roles.shuffle(&mut rng);
                // Most hold one role, some none or two.
                roles.truncate(*[0, 1, 1, 1, 1, 2].choose(&mut rng).unwrap());
                let unit = rng
                    .random_bool(0.8)
                    .then(|| PARENTS.choose(&mut rng).unwrap().0.to_owned());
                (id.clone(), Person { roles, unit })
            })
            .collect(),
    };

    let mut views = HashMap::new();
    for n in 0..200u8 {
        let view = random_view(&mut rng, &users);
        let id = DocumentId::from_bytes([n; 16]);
        projection::project(&pool, id, &view).await.unwrap();
        views.insert(id.to_string(), view);
    }

    let mut compared = 0;
    let mut readable_somewhere = 0;
    for user in &users {
        let reader: Reader = Reader::of(&table, user).unwrap();
        let by_sql: BTreeSet<String> = sqlx::query_scalar!(
            r#"select id as "id!" from readable_records($1, $2, $3)"#,
            reader.id,
            reader.reads_all,
            &reader.units,
        )
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
        let by_rust: BTreeSet<String> = views
            .iter()
            .filter(|(_, view)| access::may_read(&table, user, &view.readers()))
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(
            by_rust, by_sql,
            "{user} ({:?}): Rust and SQL disagree",
            table.people[user]
        );
        compared += views.len();
        readable_somewhere += by_rust.len();
    }
    // The cases are mixed: neither everyone reads everything nor nobody anything.
    assert_eq!(compared, 24 * 200);
    assert!(readable_somewhere > 24 * 200 / 10 && readable_somewhere < 24 * 200 * 9 / 10);
}

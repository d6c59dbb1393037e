//! The daily digest (每日汇总): once a day, at the channel's `digest_at` (Asia/Shanghai,
//! default [`DEFAULT_AT`]), one message per channel listing the open 督办事项 of its units that
//! are overdue, due within three days, or were urged in the last seven days.
//!
//! Once per channel and day, like the reminders: the message is written to the outbox under
//! the key `digest:<channel id>:<local date>`, unique in `notify_outbox`, with `on conflict do
//! nothing`, so two processes running the job, a restart or a second run the same day produce
//! it once; the outbox then delivers it as any other message. A job that was down at the hour
//! sends the day's digest when it comes back the same day, never a past day's. A channel
//! created after today's hour gets its first digest tomorrow. A digest with nothing to list
//! still goes out and says so: a silent robot cannot be told from a broken one.

use chrono::TimeDelta;
use duyan_shared::derived::DUE_SOON_DAYS;
use duyan_shared::time::Timestamp;
use sqlx::PgPool;

use super::clock::{at_local, parse_hm};

/// The digest's hour when a channel is created without one.
pub const DEFAULT_AT: &str = "08:30";

/// How far back an urge makes an item part of the digest.
pub const URGED_WITHIN: TimeDelta = TimeDelta::days(7);

/// Items listed per section; the rest are counted.
const PER_SECTION: usize = 20;

/// One open item, as the digest lists it.
#[derive(Debug, Clone)]
pub struct Item {
    pub title: String,
    pub doc_no: Option<String>,
    /// Milliseconds since the epoch.
    pub deadline: Option<i64>,
    pub urged: bool,
}

/// The digest's text for `units` (their names) at `now`: overdue, due within
/// [`DUE_SOON_DAYS`] calendar days, and urged items, each listed once under the first that
/// applies.
pub fn render(units: &str, items: &[Item], now: Timestamp) -> String {
    let today = now.local_date();
    let mut overdue = Vec::new();
    let mut soon = Vec::new();
    let mut urged = Vec::new();
    for item in items {
        let deadline = item.deadline.and_then(Timestamp::from_millis);
        match deadline {
            Some(d) if d < now => overdue.push(item),
            Some(d) if (d.local_date() - today).num_days() <= DUE_SOON_DAYS => soon.push(item),
            _ if item.urged => urged.push(item),
            _ => {}
        }
    }
    let mut out = format!("{units}　截至 {}\n", now.local().format("%Y-%m-%d %H:%M"));
    if overdue.is_empty() && soon.is_empty() && urged.is_empty() {
        out.push_str("无超期、即将到期或近期被催办的事项。");
        return out;
    }
    for (name, list) in [
        ("已超期", &overdue),
        ("三日内到期", &soon),
        ("近七日被催办", &urged),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{name} {} 项：\n", list.len()));
        for (n, item) in list.iter().take(PER_SECTION).enumerate() {
            out.push_str(&format!("{}. {}", n + 1, item.title));
            if let Some(doc_no) = &item.doc_no {
                out.push_str(&format!("（{doc_no}）"));
            }
            if let Some(d) = item.deadline.and_then(Timestamp::from_millis) {
                out.push_str(&format!(" 期限 {}", d.local().format("%m-%d %H:%M")));
            }
            out.push('\n');
        }
        if list.len() > PER_SECTION {
            out.push_str(&format!("……另有 {} 项\n", list.len() - PER_SECTION));
        }
    }
    out.trim_end().to_owned()
}

/// Writes today's digest for every channel whose hour has come at `now` and that has none
/// yet. Returns how many were new.
pub async fn run_once(pool: &PgPool, now: Timestamp) -> Result<u64, sqlx::Error> {
    let today = now.local_date();
    let channels = sqlx::query!(
        r#"select c.id, c.units, c.digest_at as "digest_at!",
                  (extract(epoch from c.created_at) * 1000)::int8 as "created_at!",
                  coalesce((select string_agg(coalesce(u.name, x.id), '、' order by x.n)
                            from unnest(c.units) with ordinality as x(id, n)
                            left join units u on u.id = x.id), '') as "unit_names!"
           from notify_channels c
           where c.deleted_at is null and c.digest_at is not null
             and not exists (select 1 from notify_outbox o
                             where o.key = 'digest:' || c.id || ':' || $1)"#,
        today.to_string()
    )
    .fetch_all(pool)
    .await?;
    let mut new = 0;
    for channel in channels {
        let Some(at) = parse_hm(&channel.digest_at).and_then(|t| at_local(today, t)) else {
            continue;
        };
        if now < at || channel.created_at > at.millis() {
            continue;
        }
        let horizon = now.millis() + TimeDelta::days(DUE_SOON_DAYS + 1).num_milliseconds();
        let rows = sqlx::query!(
            r#"select r.title, r.doc_no,
                      (extract(epoch from r.deadline) * 1000)::int8 as deadline,
                      exists (select 1 from notify_events e
                              where e.record_id = r.id and e.kind = 'urged'
                                and e.at > 'epoch'::timestamptz + $3::int8 * interval '1 millisecond')
                          as "urged!"
               from records r
               where r.kind = 'duban' and r.is_open
                 and (cardinality($1::text[]) = 0 or r.lead_unit = any($1) or r.co_units && $1)
                 and (r.deadline < 'epoch'::timestamptz + $2::int8 * interval '1 millisecond'
                      or exists (select 1 from notify_events e
                                 where e.record_id = r.id and e.kind = 'urged'
                                   and e.at > 'epoch'::timestamptz + $3::int8 * interval '1 millisecond'))
               order by coalesce(r.deadline, 'infinity'::timestamptz), r.id"#,
            &channel.units,
            horizon,
            now.millis() - URGED_WITHIN.num_milliseconds(),
        )
        .fetch_all(pool)
        .await?;
        let items: Vec<Item> = rows
            .into_iter()
            .map(|r| Item {
                title: r.title.unwrap_or_default(),
                doc_no: r.doc_no,
                deadline: r.deadline,
                urged: r.urged,
            })
            .collect();
        let units = if channel.unit_names.is_empty() {
            "全部单位".to_owned()
        } else {
            channel.unit_names
        };
        let text = render(&units, &items, now);
        let done = sqlx::query!(
            "insert into notify_outbox (key, channel_id, digest)
             values ('digest:' || $1::int8 || ':' || $2, $1, $3)
             on conflict (key) do nothing",
            channel.id,
            today.to_string(),
            text
        )
        .execute(pool)
        .await?;
        new += done.rows_affected();
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use duyan_shared::samples::shanghai;

    fn item(title: &str, deadline: Option<Timestamp>, urged: bool) -> Item {
        Item {
            title: title.to_owned(),
            doc_no: None,
            deadline: deadline.map(Timestamp::millis),
            urged,
        }
    }

    #[test]
    fn each_item_is_listed_once_under_the_first_section_that_applies() {
        let now = shanghai(2026, 11, 5, 8, 30);
        let text = render(
            "二车间",
            &[
                item("超期事项", Some(shanghai(2026, 11, 4, 17, 0)), true),
                item("三日内", Some(shanghai(2026, 11, 8, 17, 0)), false),
                item("被催办", Some(shanghai(2026, 11, 20, 17, 0)), true),
                item("远期", Some(shanghai(2026, 11, 20, 17, 0)), false),
            ],
            now,
        );
        assert_eq!(
            text,
            "二车间　截至 2026-11-05 08:30\n\n已超期 1 项：\n1. 超期事项 期限 11-04 17:00\n\n\
             三日内到期 1 项：\n1. 三日内 期限 11-08 17:00\n\n近七日被催办 1 项：\n\
             1. 被催办 期限 11-20 17:00"
        );
        assert!(render("二车间", &[], now).ends_with("无超期、即将到期或近期被催办的事项。"));
    }
}

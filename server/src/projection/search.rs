//! The records list's search index: the keys of a text, computed here rather than by
//! PostgreSQL's `pg_trgm`.
//!
//! A search is `search ilike '%q%'` (`api::list`); the index only narrows the rows that check
//! reads: a row whose text contains `q` holds every key of `q` (`search_keys @> keys(q)`). The
//! keys are the bigrams of letters and digits, case-folded, each hashed to an `int4`.
//!
//! Why not `pg_trgm`: on the records the benchmark writes (about 2,000 Chinese characters, 20
//! progress notes), its trigram extraction and index insertion were about 0.75 ms of
//! PostgreSQL's CPU per row written, half of PostgreSQL's whole cost of a new record. Computing
//! the keys here costs microseconds, and the GIN index of `int4[]` takes them in at less than
//! half the cost (BENCHMARKS.md, "Server CPU per record"). Bigrams rather than trigrams: a
//! Chinese word is usually two characters, so a two-character search (`阀井`) now uses the
//! index too, and a record has fewer distinct bigrams than trigrams (about 490 against 545).
//!
//! Exactness: `ilike` compares `lower()` of both sides, character by character. [`fold`] maps
//! every character that `lower()` maps to another to that same character (Unicode's simple
//! lowercase mapping, which PostgreSQL's libc and Rust share), so two strings that match under
//! `ilike` have the same folded bigrams, and the index never drops a row the check would keep.
//! Hash collisions only add rows, which the check removes.

use sqlx::PgPool;

/// Rows filled per statement by [`backfill`].
const BACKFILL_BATCH: i64 = 500;

/// Computes the keys of rows that have none (written before migration `0023_search_keys.sql`,
/// or by an older binary); run at start-up, after the migrations. Returns how many it filled.
pub async fn backfill(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let mut filled = 0;
    loop {
        let rows = sqlx::query!(
            "select id, search from records where search_keys is null order by id limit $1",
            BACKFILL_BATCH
        )
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            return Ok(filled);
        }
        for row in rows {
            // Guarded by the text, so a row rewritten meanwhile keeps its own newer keys.
            filled += sqlx::query!(
                "update records set search_keys = $3
                 where id = $1 and search = $2 and search_keys is null",
                row.id,
                row.search,
                &keys(&row.search)
            )
            .execute(pool)
            .await?
            .rows_affected();
        }
    }
}

/// The keys of `text`: sorted, each once.
pub fn keys(text: &str) -> Vec<i32> {
    let mut keys = Vec::new();
    let mut previous: Option<char> = None;
    for c in text.chars().map(fold) {
        if !c.is_alphanumeric() {
            previous = None;
            continue;
        }
        if let Some(p) = previous {
            keys.push(hash(p, c));
        }
        previous = Some(c);
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The character `lower()` compares: the first of its lowercase mapping (only `İ` has more than
/// one, `i` and a combining dot, and PostgreSQL maps it to `i`).
fn fold(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    c.to_lowercase().next().unwrap_or(c)
}

/// A fixed hash of a bigram (splitmix64's finaliser over both code points): stored in the
/// database, so it must never change without rebuilding every row (`duyan reindex`).
fn hash(a: char, b: char) -> i32 {
    let mut x = (u64::from(a) << 21) | u64::from(b);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    // The low 32 bits, as the signed integer PostgreSQL stores.
    x as u32 as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains_all(text: &str, query: &str) -> bool {
        let have = keys(text);
        keys(query).iter().all(|k| have.binary_search(k).is_ok())
    }

    #[test]
    fn every_substring_finds_its_text() {
        let text =
            "关于加快城东区老旧小区改造工作的督办事项\n召开联席会议，Phase-2 GB50016 已完成。";
        let chars: Vec<char> = text.chars().collect();
        for start in 0..chars.len() {
            for end in start + 1..=chars.len() {
                let query: String = chars[start..end].iter().collect();
                assert!(contains_all(text, &query), "{query:?}");
            }
        }
    }

    #[test]
    fn case_does_not_matter_as_for_ilike() {
        assert!(contains_all("按GB50016规范", "gb50016"));
        assert!(contains_all("phase two", "PHASE"));
        assert!(contains_all("ΑΘΗΝΑ", "αθηνα"));
        // The Kelvin sign lowers to `k`, as `lower()` does.
        assert!(contains_all("5 \u{212a}elvin", "kelvin"));
        assert_eq!(keys("İstanbul"), keys("istanbul"));
    }

    #[test]
    fn keys_are_bigrams_of_letters_and_digits() {
        assert!(keys("").is_empty());
        assert!(keys("阀").is_empty());
        assert_eq!(keys("阀井").len(), 1);
        // Punctuation and spaces split: no key spans them.
        assert_eq!(keys("阀，井"), Vec::<i32>::new());
        assert_eq!(keys("污水外溢").len(), 3);
        assert_eq!(keys("污水污水").len(), 2);
        assert!(!contains_all("阀井", "井阀"));
    }

    #[test]
    fn the_hash_is_fixed() {
        // Stored in every row: a change here must come with a reindex.
        assert_eq!(hash('a', 'b'), -2135935338);
        assert_eq!(hash('阀', '井'), -250783269);
        assert_ne!(hash('阀', '井'), hash('井', '阀'));
        assert_eq!(keys("ab"), vec![hash('a', 'b')]);
    }
}

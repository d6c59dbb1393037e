-- The records list's search index over keys the server computes (`projection::search`: the
-- case-folded bigrams of the record's texts, hashed to int4) instead of pg_trgm's trigrams,
-- which cost about 0.75 ms of PostgreSQL's CPU per row written (BENCHMARKS.md, "Server CPU per
-- record"). `search` stays: it is what `ilike` checks; the keys only narrow the rows it reads.
--
-- Null means "not computed yet": rows written before this migration (or by a process still
-- running an older binary) get their keys at the next start-up (`projection::search::backfill`,
-- run after the migrations) or from `duyan reindex`. Until then the list checks them by `ilike`
-- alone (`search_keys is null`, through the small partial index), so no search misses a row.
alter table records add column search_keys int4[];

drop index records_search;
create index records_search_keys on records using gin (search_keys);
create index records_search_pending on records (id) where search_keys is null;

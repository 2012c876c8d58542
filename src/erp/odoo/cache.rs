//! The records orders look up again and again (customers and ship-to addresses, products by
//! each identifier the profiles use, units, warehouses), kept in process so a warm order
//! costs no lookup call. Invalidation is Odoo's own `write_date`: each model's cached records
//! are re-read (id, `write_date`, `active`; archived ones included) at most every
//! `[erp] cache_validate_ms` before a lookup uses them, and any that changed, were archived
//! or deleted are dropped and asked again. A miss is always asked from Odoo; absence is
//! never cached.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The models whose lookups are cached: each has `write_date` and `active` in Odoo 17–19.
pub const MODELS: &[&str] = &[
    "res.partner",
    "product.product",
    "uom.uom",
    "stock.warehouse",
];

/// A cache key: the model and the lookup's domain as JSON.
pub type Key = (String, String);

/// The key of a lookup when it may be cached: a cached model, no external ID binding, and a
/// domain of `[field, "=", value]` terms on the model's own fields (a supplier code reached
/// through `seller_ids` lives on another model, whose changes do not touch the product's
/// `write_date`, and a `{"ref": …}` depends on another lookup: both are asked every time).
pub fn key(lookup: &Value) -> Option<Key> {
    let model = lookup["model"].as_str()?;
    if !MODELS.contains(&model) || lookup.get("external_id").is_some() {
        return None;
    }
    let terms = lookup["domain"].as_array()?;
    let simple = !terms.is_empty()
        && terms.iter().all(|t| match t.as_array().map(Vec::as_slice) {
            Some([f, op, v]) => {
                f.as_str().is_some_and(|f| !f.contains('.'))
                    && op == "="
                    && (v.is_string() || v.is_i64())
            }
            _ => false,
        });
    simple.then(|| (model.to_owned(), lookup["domain"].to_string()))
}

#[derive(Default)]
struct State {
    /// The row each lookup found (`id`, `write_date`, and what orders use of it).
    entries: HashMap<Key, Value>,
    /// When each model's cached rows were last compared with Odoo's.
    checked: HashMap<String, Instant>,
    hits: u64,
    misses: u64,
}

/// The cache; one per Odoo client (so per process).
pub struct LookupCache {
    state: Mutex<State>,
    validate_every: Duration,
}

impl LookupCache {
    /// `validate_every`: how long cached rows are used before Odoo's `write_date`s are read
    /// again (zero: before every use).
    pub fn new(validate_every: Duration) -> Self {
        Self {
            state: Mutex::new(State::default()),
            validate_every,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data: still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The row a lookup found before, if still cached.
    pub fn get(&self, key: &Key) -> Option<Value> {
        let mut s = self.state();
        let row = s.entries.get(key).cloned();
        if row.is_some() {
            s.hits += 1;
        } else {
            s.misses += 1;
        }
        row
    }

    /// Keeps what a lookup found (a row with `id` and `write_date`).
    pub fn put(&self, key: Key, row: Value) {
        if !row["id"].is_i64() || !row["write_date"].is_string() {
            return;
        }
        let mut s = self.state();
        let model = key.0.clone();
        s.entries.insert(key, row);
        // Just read from Odoo: fresh.
        s.checked.entry(model).or_insert_with(Instant::now);
    }

    /// The ids of `model`'s cached rows when they are due to be compared with Odoo.
    pub fn due(&self, model: &str) -> Option<Vec<i64>> {
        let s = self.state();
        let fresh = s
            .checked
            .get(model)
            .is_some_and(|at| !self.validate_every.is_zero() && at.elapsed() < self.validate_every);
        if fresh {
            return None;
        }
        let ids: HashSet<i64> = s
            .entries
            .iter()
            .filter(|((m, _), _)| m == model)
            .filter_map(|(_, row)| row["id"].as_i64())
            .collect();
        if ids.is_empty() {
            return None;
        }
        let mut ids: Vec<i64> = ids.into_iter().collect();
        ids.sort_unstable();
        Some(ids)
    }

    /// Odoo's answer for `asked` (rows with `id`, `write_date`, `active`): every cached row
    /// of `model` among them whose record changed, was archived or is gone is dropped.
    /// Returns how many lookups were dropped.
    pub fn checked(&self, model: &str, asked: &[i64], rows: &[Value]) -> usize {
        let now: HashMap<i64, &Value> = rows
            .iter()
            .filter_map(|r| r["id"].as_i64().map(|id| (id, r)))
            .collect();
        let mut s = self.state();
        let before = s.entries.len();
        s.entries.retain(|(m, _), row| {
            let Some(id) = row["id"].as_i64() else {
                return false;
            };
            if m != model || !asked.contains(&id) {
                return true;
            }
            now.get(&id).is_some_and(|fresh| {
                fresh["active"] != Value::Bool(false) && fresh["write_date"] == row["write_date"]
            })
        });
        let dropped = before - s.entries.len();
        s.checked.insert(model.to_owned(), Instant::now());
        dropped
    }

    /// Forgets everything (Odoo refused an order: what it named may have changed).
    pub fn clear(&self) {
        let mut s = self.state();
        s.entries.clear();
        s.checked.clear();
    }

    /// (hits, misses) since the start.
    pub fn counts(&self) -> (u64, u64) {
        let s = self.state();
        (s.hits, s.misses)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn lookup(model: &str, domain: Value) -> Value {
        json!({ "as": "x", "model": model, "domain": domain })
    }

    #[test]
    fn only_plain_lookups_of_cached_models_are_kept() {
        assert!(
            key(&lookup(
                "product.product",
                json!([["default_code", "=", "A"]])
            ))
            .is_some()
        );
        assert!(
            key(&lookup(
                "res.partner",
                json!([["ref", "=", "S1"], ["type", "=", "delivery"]])
            ))
            .is_some()
        );
        // Another model's field, a dependent lookup, another operator, an uncached model.
        assert!(
            key(&lookup(
                "product.product",
                json!([["seller_ids.product_code", "=", "A"]])
            ))
            .is_none()
        );
        assert!(key(&lookup("stock.move", json!([["picking_id", "=", 1]]))).is_none());
        assert!(
            key(&lookup(
                "res.partner",
                json!([["ref", "=", { "ref": "v" }]])
            ))
            .is_none()
        );
        assert!(key(&lookup("res.partner", json!([["ref", "ilike", "S"]]))).is_none());
        let mut bound = lookup("res.partner", json!([["ref", "=", "S"]]));
        bound["external_id"] = json!("wharf.x");
        assert!(key(&bound).is_none());
    }

    #[test]
    fn a_changed_archived_or_deleted_record_is_dropped_and_the_rest_kept() {
        let cache = LookupCache::new(Duration::from_secs(3600));
        let k = |c: &str| {
            key(&lookup(
                "product.product",
                json!([["default_code", "=", c]]),
            ))
            .unwrap()
        };
        for (code, id) in [("A", 1), ("B", 2), ("C", 3), ("D", 4)] {
            cache.put(
                k(code),
                json!({ "id": id, "write_date": "2026-01-01 00:00:00" }),
            );
        }
        // Just filled: nothing to check yet.
        assert_eq!(cache.due("product.product"), None);
        let zero = LookupCache::new(Duration::ZERO);
        zero.put(
            k("A"),
            json!({ "id": 1, "write_date": "2026-01-01 00:00:00" }),
        );
        assert_eq!(zero.due("product.product"), Some(vec![1]));

        let rows = [
            json!({ "id": 1, "write_date": "2026-01-01 00:00:00", "active": true }),
            json!({ "id": 2, "write_date": "2026-01-02 00:00:00", "active": true }),
            json!({ "id": 3, "write_date": "2026-01-01 00:00:00", "active": false }),
        ];
        assert_eq!(cache.checked("product.product", &[1, 2, 3, 4], &rows), 3);
        assert!(cache.get(&k("A")).is_some(), "unchanged: kept");
        for c in ["B", "C", "D"] {
            assert!(
                cache.get(&k(c)).is_none(),
                "{c}: changed, archived or deleted"
            );
        }
        // A row without a write_date cannot be checked, so it is not kept.
        cache.put(k("E"), json!({ "id": 5 }));
        assert!(cache.get(&k("E")).is_none());
    }
}

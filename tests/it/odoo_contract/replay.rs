//! One recorded request replayed against the double: its ids mapped, the double's answer
//! compared with Odoo's, the ids each created record got bound for the requests after it.

use super::*;

pub(super) struct Replay {
    pub(super) odoo: OdooDouble,
    pub(super) map: Mapping,
    /// The recording's poll cursor → the double's time when the replay started.
    pub(super) cursor: String,
    /// The `('model', '=', m)` of the current request's domain: what `res_id`s in its answer are.
    pub(super) res_model: Option<String>,
}

impl Replay {
    pub(super) fn target(&self, model: &str, field: &str) -> Option<String> {
        self.odoo
            .with(|w| w.field_target(model, field).map(str::to_owned))
    }

    /// The model of ids under `key` of an object of `model` (with its siblings `parent`).
    pub(super) fn id_model(
        &self,
        model: Option<&str>,
        key: &str,
        parent: &Map<String, Value>,
    ) -> Option<String> {
        match key {
            "id" | "ids" => model.map(str::to_owned),
            "res_id" => parent
                .get("res_model")
                .or_else(|| parent.get("model"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| self.res_model.clone()),
            "uid" => Some("res.users".into()),
            _ => model
                .and_then(|m| self.target(m, key))
                .or_else(|| context_model(key, parent))
                .or_else(|| {
                    (key.ends_with("_id") || key.ends_with("_ids")).then(|| format!("key:{key}"))
                }),
        }
    }

    // ---- requests: recorded → the double's terms ----

    pub(super) fn out_id(&self, model: &str, v: &Value) -> Result<Value, String> {
        match v {
            Value::Number(n) if n.is_i64() => Ok(json!(self.map.id(model, n.as_i64().unwrap())?)),
            Value::String(s) if s.parse::<i64>().is_ok() => {
                Ok(json!(self.map.id(model, s.parse().unwrap())?.to_string()))
            }
            // A list of ids, or of x2many commands.
            Value::Array(a) => Ok(Value::Array(
                a.iter()
                    .map(|x| match x {
                        Value::Array(c) => Ok(Value::Array(self.out_command(model, c)?)),
                        other => self.out_id(model, other),
                    })
                    .collect::<Result<_, String>>()?,
            )),
            other => Ok(other.clone()),
        }
    }

    pub(super) fn out_command(&self, model: &str, c: &[Value]) -> Result<Vec<Value>, String> {
        match c {
            [op, id] if op == 4 || op == 3 => Ok(vec![op.clone(), self.out_id(model, id)?]),
            [op, zero, Value::Array(ids)] if op == 6 => Ok(vec![
                op.clone(),
                zero.clone(),
                self.out_id(model, &Value::Array(ids.clone()))?,
            ]),
            [op, zero, Value::Object(vals)] if op == 0 => Ok(vec![
                op.clone(),
                zero.clone(),
                Value::Object(self.out_vals(model, vals)?),
            ]),
            [op, id, Value::Object(vals)] if op == 1 => Ok(vec![
                op.clone(),
                self.out_id(model, id)?,
                Value::Object(self.out_vals(model, vals)?),
            ]),
            other => Ok(other.to_vec()),
        }
    }

    pub(super) fn out_vals(
        &self,
        model: &str,
        vals: &Map<String, Value>,
    ) -> Result<Map<String, Value>, String> {
        let mut out = Map::new();
        for (k, v) in vals {
            let m = self.id_model(Some(model), k, vals).filter(|_| k != "id");
            let v = match (m, v) {
                (Some(m), Value::Number(_) | Value::Array(_)) => self.out_id(&m, v)?,
                (_, Value::String(s)) => json!(self.out_string(s)),
                _ => v.clone(),
            };
            out.insert(k.clone(), v);
        }
        Ok(out)
    }

    pub(super) fn out_string(&self, s: &str) -> String {
        let s = s.replace("<key>", KEY);
        if is_datetime(&s) && s.len() == 19 {
            return self.cursor.clone();
        }
        match s.as_str() {
            "odoo18" | "odoo19" => DB.to_owned(),
            "admin" => LOGIN.to_owned(),
            _ => self.map.names.get(&s).cloned().unwrap_or(s),
        }
    }

    pub(super) fn out_domain(&self, model: &str, domain: &Value) -> Result<Value, String> {
        let terms = domain.as_array().cloned().unwrap_or_default();
        // `res_id` takes its model from a ('model', '=', m) term beside it.
        let res_model = terms.iter().find_map(|t| {
            let t = t.as_array()?;
            (t.first()? == "model").then(|| t.get(2)?.as_str().map(str::to_owned))?
        });
        let mut out = Vec::new();
        for t in terms {
            let Some(a) = t.as_array().filter(|a| a.len() == 3) else {
                out.push(t);
                continue;
            };
            let field = a[0].as_str().unwrap_or_default();
            let m = match field {
                "id" => Some(model.to_owned()),
                "res_id" => res_model.clone(),
                f if f.contains('.') => None,
                f => self.target(model, f),
            };
            let value = match (&m, &a[2]) {
                (Some(m), v @ (Value::Number(_) | Value::Array(_))) => self.out_id(m, v)?,
                (_, Value::String(s)) => json!(self.out_string(s)),
                (_, Value::Array(list)) => json!(
                    list.iter()
                        .map(|x| x.as_str().map_or(x.clone(), |s| json!(self.out_string(s))))
                        .collect::<Vec<_>>()
                ),
                (_, v) => v.clone(),
            };
            out.push(json!([a[0], a[1], value]));
        }
        Ok(Value::Array(out))
    }

    pub(super) fn out_context(&self, ctx: &Value) -> Result<Value, String> {
        let Some(c) = ctx.as_object() else {
            return Ok(ctx.clone());
        };
        let mut out = Map::new();
        for (k, v) in c {
            let v = match context_model(k, c) {
                Some(m) => self.out_id(&m, v)?,
                None => v.clone(),
            };
            out.insert(k.clone(), v);
        }
        Ok(Value::Object(out))
    }

    /// The keyword (or JSON-2 body) arguments of a call on `model`.
    pub(super) fn out_kwargs(
        &self,
        model: &str,
        kw: &Map<String, Value>,
    ) -> Result<Map<String, Value>, String> {
        let mut out = Map::new();
        for (k, v) in kw {
            let v = match k.as_str() {
                "ids" => self.out_id(model, v)?,
                "domain" => self.out_domain(model, v)?,
                "context" => self.out_context(v)?,
                "vals" => {
                    Value::Object(self.out_vals(model, v.as_object().unwrap_or(&Map::new()))?)
                }
                "vals_list" => self.out_vals_list(model, v)?,
                "data" => self.out_load_rows(model, kw, v)?,
                _ => v.clone(),
            };
            out.insert(k.clone(), v);
        }
        Ok(out)
    }

    pub(super) fn out_vals_list(&self, model: &str, v: &Value) -> Result<Value, String> {
        match v {
            Value::Array(a) => Ok(Value::Array(
                a.iter()
                    .map(|x| {
                        Ok(Value::Object(
                            self.out_vals(model, x.as_object().unwrap_or(&Map::new()))?,
                        ))
                    })
                    .collect::<Result<_, String>>()?,
            )),
            Value::Object(o) => Ok(Value::Object(self.out_vals(model, o)?)),
            other => Ok(other.clone()),
        }
    }

    /// `load` rows: `x/.id` cells hold database ids of x's model.
    pub(super) fn out_load_rows(
        &self,
        model: &str,
        kw: &Map<String, Value>,
        data: &Value,
    ) -> Result<Value, String> {
        let fields: Vec<String> = kw["fields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let column_model = |f: &str| -> Option<String> {
            let path = f.strip_suffix("/.id")?;
            let mut m = model.to_owned();
            for part in path.split('/') {
                m = self.target(&m, part)?;
            }
            Some(m)
        };
        let mut rows = Vec::new();
        for row in data.as_array().cloned().unwrap_or_default() {
            let mut cells = Vec::new();
            for (f, cell) in fields
                .iter()
                .zip(row.as_array().cloned().unwrap_or_default())
            {
                cells.push(match (column_model(f), cell.as_str()) {
                    (Some(m), Some(s)) if !s.is_empty() => self.out_id(&m, &cell)?,
                    _ => cell,
                });
            }
            rows.push(Value::Array(cells));
        }
        Ok(Value::Array(rows))
    }

    /// The recorded request in the double's terms: (path, headers, body, model).
    pub(super) fn request(
        &self,
        case: &Value,
    ) -> Result<(String, Vec<(String, String)>, Value, String), String> {
        let req = &case["request"];
        let path = req["path"].as_str().unwrap_or_default().to_owned();
        let clerk = case["case"]
            .as_str()
            .unwrap_or_default()
            .contains("access-rights");
        let mut headers = Vec::new();
        for (k, v) in req["headers"].as_object().into_iter().flatten() {
            let v = v.as_str().unwrap_or_default();
            let v = if k.eq_ignore_ascii_case("x-odoo-database") {
                DB.to_owned()
            } else {
                v.replace("<key>", KEY)
            };
            headers.push((k.clone(), v));
        }
        let body = &req["body"];
        if let Some(rest) = path.strip_prefix("/json/2/") {
            let model = rest.split('/').next().unwrap_or_default().to_owned();
            let kw = self.out_kwargs(&model, body.as_object().unwrap_or(&Map::new()))?;
            return Ok((path, headers, Value::Object(kw), model));
        }
        let mut body = body.clone();
        let args = body["params"]["args"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut out: Vec<Value> = Vec::new();
        let mut model = String::new();
        if body["params"]["method"] == "execute_kw" {
            model = args[3].as_str().unwrap_or_default().to_owned();
            let method = args[4].as_str().unwrap_or_default();
            out.push(json!(DB));
            out.push(self.out_id("res.users", &args[1])?);
            let key = args[2].as_str().unwrap_or_default();
            out.push(json!(if clerk {
                key.replace("<key>", CLERK_PASSWORD)
            } else {
                key.replace("<key>", KEY)
            }));
            out.push(args[3].clone());
            out.push(args[4].clone());
            let positional = args[5].as_array().cloned().unwrap_or_default();
            let mut pos = Vec::new();
            for (i, p) in positional.iter().enumerate() {
                pos.push(match (method, i) {
                    ("create", 0) => self.out_vals_list(&model, p)?,
                    (m, 0) if !matches!(m, "search_read" | "search" | "search_count" | "load") => {
                        self.out_id(&model, p)?
                    }
                    _ => p.clone(),
                });
            }
            out.push(Value::Array(pos));
            let kw = self.out_kwargs(&model, args[6].as_object().unwrap_or(&Map::new()))?;
            out.push(Value::Object(kw));
        } else {
            for a in &args {
                out.push(match a {
                    Value::String(s) => json!(self.out_string(s)),
                    other => other.clone(),
                });
            }
        }
        body["params"]["args"] = Value::Array(out);
        Ok((path, headers, body, model))
    }

    pub(super) fn request_res_model(&self, case: &Value) -> Option<String> {
        let b = &case["request"]["body"];
        let kw = b["params"]["args"]
            .get(6)
            .cloned()
            .unwrap_or_else(|| b.clone());
        kw["domain"]
            .as_array()?
            .iter()
            .find_map(|t| (t.get(0)? == "model").then(|| t.get(2)?.as_str().map(str::to_owned))?)
    }

    // ---- answers: recorded vs the double's, learning ids and names ----

    pub(super) fn same(
        &mut self,
        rec: &Value,
        got: &Value,
        model: Option<&str>,
        key: &str,
        parent: &Map<String, Value>,
        path: &str,
    ) -> Result<(), String> {
        let differ = || format!("{path}: recorded {rec}, the double {got}");
        if key == "debug" {
            return Ok(());
        }
        // Relational fields by the double's schema (`order_line`, `product_uom`), and id-named keys.
        let relational = model.is_some_and(|m| self.target(m, key).is_some());
        let id_model = if matches!(key, "id" | "ids" | "res_id" | "uid")
            || relational
            || key.ends_with("_id")
            || key.ends_with("_ids")
        {
            self.id_model(model, key, parent)
        } else {
            None
        };
        if let Some(m) = id_model {
            return self.same_ids(&m, rec, got, path);
        }
        match (rec, got) {
            (Value::Object(r), Value::Object(g)) => {
                let (mut rk, mut gk): (Vec<_>, Vec<_>) = (r.keys().collect(), g.keys().collect());
                rk.sort();
                gk.sort();
                if rk != gk {
                    return Err(format!(
                        "{path}: keys {rk:?} recorded, {gk:?} from the double"
                    ));
                }
                for (k, rv) in r {
                    self.same(rv, &g[k], model, k, r, &format!("{path}.{k}"))?;
                }
                Ok(())
            }
            (Value::Array(r), Value::Array(g)) => {
                if r.len() != g.len() {
                    return Err(format!(
                        "{path}: {} items recorded, {} from the double: {}",
                        r.len(),
                        g.len(),
                        differ()
                    ));
                }
                for (i, (rv, gv)) in r.iter().zip(g).enumerate() {
                    self.same(rv, gv, model, key, parent, &format!("{path}[{i}]"))?;
                }
                Ok(())
            }
            (Value::Number(r), Value::Number(g)) => {
                let (r, g) = (
                    r.as_f64().unwrap_or(f64::NAN),
                    g.as_f64().unwrap_or(f64::NAN),
                );
                if (r - g).abs() <= 1e-6 {
                    Ok(())
                } else {
                    Err(differ())
                }
            }
            (Value::String(r), Value::String(g)) => self.same_str(r, g, path),
            _ if rec == got => Ok(()),
            _ => Err(differ()),
        }
    }

    pub(super) fn same_str(&mut self, r: &str, g: &str, path: &str) -> Result<(), String> {
        if r == g || (is_datetime(r) && is_datetime(g) && r.len() == g.len()) {
            return Ok(());
        }
        // A recordset's repr ("stock.quant.package(3,)"): the id is bound.
        if let (Some((rm, ri)), Some((gm, gi))) = (repr(r), repr(g))
            && rm == gm
        {
            return self
                .map
                .bind(&rm, ri, gi)
                .map_err(|e| format!("{path}: {e}"));
        }
        let t = self.map.translate(r);
        if t == g {
            return Ok(());
        }
        match (shape(r), shape(g)) {
            (Some(a), Some(b)) if a == b => {
                self.map.bind_name(r, g).map_err(|e| format!("{path}: {e}"))
            }
            _ => Err(format!("{path}: recorded {r:?}, the double {g:?}")),
        }
    }

    pub(super) fn same_ids(
        &mut self,
        model: &str,
        rec: &Value,
        got: &Value,
        path: &str,
    ) -> Result<(), String> {
        match (rec, got) {
            (Value::Number(r), Value::Number(g)) if r.is_i64() && g.is_i64() => self
                .map
                .bind(model, r.as_i64().unwrap(), g.as_i64().unwrap())
                .map_err(|e| format!("{path}: {e}")),
            // A many2one: [id, display name].
            (Value::Array(r), Value::Array(g))
                if r.len() == 2 && r[1].is_string() && g.len() == 2 =>
            {
                self.same_ids(model, &r[0], &g[0], path)?;
                self.same_str(
                    r[1].as_str().unwrap(),
                    g[1].as_str().unwrap_or_default(),
                    &format!("{path}[1]"),
                )
            }
            (Value::Array(r), Value::Array(g)) => {
                if r.len() != g.len() {
                    return Err(format!("{path}: recorded {rec}, the double {got}"));
                }
                for (i, (rv, gv)) in r.iter().zip(g).enumerate() {
                    // x2many commands ([4, id]) keep their operation.
                    if let (Value::Array(rc), Value::Array(gc)) = (rv, gv)
                        && rc.len() == 2
                        && rc[0].is_i64()
                        && rc[1].is_i64()
                    {
                        if rc[0] != gc[0] {
                            return Err(format!("{path}[{i}]: recorded {rv}, the double {gv}"));
                        }
                        self.same_ids(model, &rc[1], &gc[1], path)?;
                        continue;
                    }
                    self.same_ids(model, rv, gv, &format!("{path}[{i}]"))?;
                }
                Ok(())
            }
            (Value::String(r), Value::String(g))
                if r.parse::<i64>().is_ok() && g.parse::<i64>().is_ok() =>
            {
                self.map
                    .bind(model, r.parse().unwrap(), g.parse().unwrap())
                    .map_err(|e| format!("{path}: {e}"))
            }
            _ if rec == got => Ok(()),
            _ => Err(format!("{path}: recorded {rec}, the double {got}")),
        }
    }
}

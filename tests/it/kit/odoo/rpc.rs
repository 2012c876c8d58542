//! The double on the wire: JSON-RPC (`/jsonrpc`) and JSON-2 (`/json/2/<model>/<method>`)
//! requests read into method calls and answered as Odoo does, with the request log and timing.

use super::*;

/// Positional JSON-RPC arguments as the named ones each method takes. `create` takes its
/// values only positionally: Odoo's `create(vals_list)` reads `args[0]`, so a call with
/// `args = []` and keyword `vals_list` fails with IndexError (recorded on 18 and 19).
pub(super) fn named(
    version: u32,
    method: &str,
    args: &[Value],
    mut kw: Record,
) -> Result<(Vec<i64>, Record), Fault> {
    if method == "create" {
        let Some(first) = args.first() else {
            return Err(Fault::new(
                "builtins.IndexError",
                if version >= 19 {
                    "list index out of range"
                } else {
                    "tuple index out of range"
                }
                .into(),
                500,
            ));
        };
        kw.remove("vals_list");
        kw.remove("vals");
        match first {
            Value::Object(_) => kw.insert("vals".into(), first.clone()),
            _ => kw.insert("vals_list".into(), first.clone()),
        };
        return Ok((Vec::new(), kw));
    }
    let (ids, rest) = if World::is_model_method(method) {
        (Vec::new(), args)
    } else {
        let ids = match args.first() {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_i64).collect(),
            Some(v) => v.as_i64().into_iter().collect(),
            None => Vec::new(),
        };
        (ids, args.get(1..).unwrap_or_default())
    };
    let names: &[&str] = match method {
        "search_read" => &["domain", "fields", "offset", "limit", "order"],
        "search" | "search_count" => &["domain"],
        "read" => &["fields"],
        "write" => &["vals"],
        "load" => &["fields", "data"],
        "has_access" => &["operation"],
        _ => &[],
    };
    for (n, v) in names.iter().zip(rest) {
        kw.entry(*n).or_insert_with(|| v.clone());
    }
    Ok((ids, kw))
}

/// Not Odoo's: what the load script reads to tell Odoo's share of the time.
pub(super) async fn stats(State(world): State<Arc<Mutex<World>>>) -> Response {
    let w = world.lock().unwrap();
    let mut by_call: BTreeMap<&str, u64> = BTreeMap::new();
    for c in &w.calls {
        *by_call.entry(c.as_str()).or_default() += 1;
    }
    axum::Json(json!({
        "requests": w.requests,
        "by_call": by_call,
        "busy_ms": w.busy.as_secs_f64() * 1000.0,
        "calls": w.calls.len(),
        "sale_orders": w.records.get("sale.order").map_or(0, BTreeMap::len),
        "sale_order_lines": w.records.get("sale.order.line").map_or(0, BTreeMap::len),
    }))
    .into_response()
}

/// Adds each request's time to the world's `busy`.
pub(super) async fn timed(
    State(world): State<Arc<Mutex<World>>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let t = std::time::Instant::now();
    let r = next.run(req).await;
    let mut w = world.lock().unwrap();
    w.busy += t.elapsed();
    w.requests += 1;
    r
}

/// Odoo's traceback stands in the `debug` member (the recordings omit it).
pub(super) const DEBUG: &str =
    "Traceback (most recent call last):\n  (the double has no traceback)\n";

pub(super) fn rpc_error(version: u32, id: &Value, f: &Fault) -> Response {
    axum::Json(json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": if version >= 19 { 0 } else { 200 },
            "message": "Odoo Server Error",
            "data": { "name": f.name, "message": f.message, "arguments": f.arguments(), "debug": DEBUG, "context": {} },
        },
    }))
    .into_response()
}

/// Applies the failure modes before a call; `None` to go on.
/// Keeps the request's `traceparent`, if it has one.
fn traced(world: &Mutex<World>, headers: &HeaderMap) {
    if let Some(t) = headers.get("traceparent").and_then(|v| v.to_str().ok()) {
        world.lock().unwrap().traceparents.push(t.to_owned());
    }
}

pub(super) async fn before(world: &Arc<Mutex<World>>) -> Option<Response> {
    let (down, delay) = {
        let w = world.lock().unwrap();
        (w.behaviour.down, w.behaviour.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    down.then(|| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "<html><body><h1>503 Service Unavailable</h1></body></html>",
        )
            .into_response()
    })
}

/// After a call committed: a 502 from the proxy when a fault after commit is due.
pub(super) fn after(w: &mut World, call: &str) -> Option<Response> {
    if let Some((c, n)) = &mut w.behaviour.down_after
        && c == call
    {
        *n = n.saturating_sub(1);
        if *n == 0 {
            w.behaviour.down = true;
            w.behaviour.down_after = None;
        }
    }
    let n = w.behaviour.fault_after_commit.get_mut(call)?;
    if *n == 0 {
        return None;
    }
    *n -= 1;
    Some(
        (
            StatusCode::BAD_GATEWAY,
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        )
            .into_response(),
    )
}

pub(super) async fn jsonrpc(
    State(world): State<Arc<Mutex<World>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = before(&world).await {
        return r;
    }
    traced(&world, &headers);
    // The answer is made under the lock; a held answer waits after the lock is released.
    let mut hold = None;
    let answer = jsonrpc_inner(&world, &body, &mut hold);
    if let Some(d) = hold {
        tokio::time::sleep(d).await;
    }
    answer
}

/// The recorded `common.version` of each version.
pub(super) fn version_info(version: u32) -> Value {
    let (full, serie) = match version {
        19 => ("19.0+e-20251227".to_owned(), "19.0".to_owned()),
        18 => ("18.0-20250702".to_owned(), "18.0".to_owned()),
        v => (format!("{v}.0"), format!("{v}.0")),
    };
    json!({
        "server_version": full,
        "server_version_info": [version, 0, 0, "final", 0, ""],
        "server_serie": serie,
        "protocol_version": 1,
    })
}

pub(super) fn jsonrpc_inner(
    world: &Arc<Mutex<World>>,
    body: &[u8],
    hold: &mut Option<Duration>,
) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let id = req["id"].clone();
    let params = &req["params"];
    let args = params["args"].as_array().cloned().unwrap_or_default();
    let mut w = world.lock().unwrap();
    let version = w.version;
    let result = match (params["service"].as_str(), params["method"].as_str()) {
        (Some("common"), Some("version")) => Some(version_info(version)),
        (Some("common"), Some("authenticate")) => {
            // A wrong key is not an error here: the answer is false (recorded on 19).
            let uid = (args.first() == Some(&json!(DB)))
                .then(|| {
                    w.all("res.users").into_iter().find(|u| {
                        Some(&u["login"]) == args.get(1)
                            && u["id"]
                                .as_i64()
                                .and_then(|i| w.keys.get(&i))
                                .map(|k| json!(k))
                                .as_ref()
                                == args.get(2)
                    })
                })
                .flatten()
                .and_then(|u| u["id"].as_i64());
            Some(uid.map_or(json!(false), |u| json!(u)))
        }
        (Some("object"), Some("execute_kw")) => {
            let uid = args.get(1).and_then(Value::as_i64).unwrap_or(0);
            let key_ok = args.first() == Some(&json!(DB))
                && w.keys
                    .get(&uid)
                    .is_some_and(|k| args.get(2) == Some(&json!(k)));
            if !key_ok {
                return rpc_error(version, &id, &Fault::denied());
            }
            let model = args
                .get(3)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let method = args
                .get(4)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let positional = args
                .get(5)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let kw = args
                .get(6)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            w.jsonrpc_calls += 1;
            let outcome = match named(version, &method, &positional, kw) {
                Ok((ids, kw)) => w.dispatch(&model, &method, ids, &kw, Transport::JsonRpc, uid),
                Err(f) => {
                    w.calls.push(format!("{model}.{method}"));
                    w.callers.push(uid);
                    Err(f)
                }
            };
            match outcome {
                Ok(v) => {
                    let call = format!("{model}.{method}");
                    if let Some(r) = after(&mut w, &call) {
                        return r;
                    }
                    *hold = w.behaviour.hold_after_commit.remove(&call);
                    v
                }
                Err(f) => return rpc_error(version, &id, &f),
            }
        }
        _ => {
            return rpc_error(
                version,
                &id,
                &Fault::new("builtins.KeyError", "unknown service or method".into(), 404),
            );
        }
    };
    // A method that returns nothing: JSON-RPC leaves the `result` member out.
    match result {
        Some(r) => axum::Json(json!({ "jsonrpc": "2.0", "id": id, "result": r })).into_response(),
        None => axum::Json(json!({ "jsonrpc": "2.0", "id": id })).into_response(),
    }
}

/// Percent-encodes a URL query value as werkzeug does.
pub(super) fn url_quote(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(super) async fn json2(
    State(world): State<Arc<Mutex<World>>>,
    Path((model, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = before(&world).await {
        return r;
    }
    traced(&world, &headers);
    let mut w = world.lock().unwrap();
    let err = |f: Fault| {
        let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(json!({ "name": f.name, "message": f.message, "arguments": f.arguments(), "context": {}, "debug": DEBUG }))).into_response()
    };
    if w.version < 19 {
        // 18 has no JSON-2: the web client's login redirect (werkzeug's page, recorded).
        let target = format!(
            "/web/login?redirect={}",
            url_quote(&format!("/json/2/{model}/{method}?"))
        );
        let page = format!(
            "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: <a href=\"{target}\">{target}</a>. If not, click the link.\n"
        );
        return (
            StatusCode::SEE_OTHER,
            [
                ("location", target.as_str()),
                ("content-type", "text/html; charset=utf-8"),
            ],
            page,
        )
            .into_response();
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !bearer.eq_ignore_ascii_case(&format!("bearer {KEY}")) {
        return err(Fault::new(
            "werkzeug.exceptions.Unauthorized",
            "Invalid apikey".into(),
            401,
        ));
    }
    if headers.get("x-odoo-database").and_then(|v| v.to_str().ok()) != Some(DB) {
        return err(Fault::new(
            "werkzeug.exceptions.NotFound",
            "database not found".into(),
            404,
        ));
    }
    let kw = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let ids = ids_of(kw.get("ids"));
    w.json2_calls += 1;
    match w.dispatch(&model, &method, ids, &kw, Transport::Json2, ADMIN_UID) {
        Ok(v) => {
            if let Some(r) = after(&mut w, &format!("{model}.{method}")) {
                return r;
            }
            axum::Json(v.unwrap_or(Value::Null)).into_response()
        }
        Err(f) => err(f),
    }
}

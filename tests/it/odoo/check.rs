//! `wharf odoo check` against the Odoo double, through the real binary, on 18 (JSON-RPC) and
//! 19 (JSON-2): every step ok and exit 0 on a ready Odoo; a right the user lacks, a product
//! and a customer Odoo lacks each reported as MISSING with its fix and exit 1; an Odoo that
//! does not answer or refuses the key as one precise FAIL line. Read-only throughout.

use super::*;

/// A double with everything ACME's profile relies on: customer ACME, its ship-to addresses
/// ACME-HQ and ACME-DC, products WID-1 and WID-2, the units Units and Case.
async fn ready_for_acme(version: u32) -> OdooDouble {
    let odoo = OdooDouble::start(version).await;
    odoo.customer("ACME", &["ACME-HQ", "ACME-DC"]);
    odoo.product("WID-1", None, 11.0);
    odoo.product("WID-2", None, 95.0);
    odoo.uom_of("Case", 12.0);
    odoo
}

/// `wharf odoo check ARGS` against `odoo`: (exit code, stdout lines, stderr).
async fn check(odoo: &OdooDouble, args: &[&str]) -> (i32, Vec<String>, String) {
    let env = env_for(Db::Sqlite, odoo).await;
    let mut all = vec!["odoo", "check"];
    all.extend(args);
    let (code, out, err) = env.run(&all);
    (code, out.lines().map(str::to_owned).collect(), err)
}

fn line<'a>(lines: &'a [String], start: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?} in:\n{}", lines.join("\n")))
}

/// Only reads: `has_access` and `search_read`, and each model's records in one call (and
/// products once more, for archived ones, when the report names one missing).
fn read_only(odoo: &OdooDouble, lines: &[String]) {
    let calls = odoo.with(|w| w.calls.clone());
    assert!(
        calls
            .iter()
            .all(|c| c.ends_with(".has_access") || c.ends_with(".search_read")),
        "{calls:?}"
    );
    let product_missing = lines
        .iter()
        .any(|l| l.contains(": no product with default_code "));
    for model in ["res.partner", "product.product", "uom.uom"] {
        let n = calls
            .iter()
            .filter(|c| **c == format!("{model}.search_read"))
            .count();
        let batches = 1 + usize::from(model == "product.product" && product_missing);
        assert_eq!(n, batches, "{model} looked up in one batch: {calls:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_odoo_is_all_ok_on_18_and_19() {
    for (version, server, protocol) in [
        (18, "Odoo 18.0-20250702", "protocol JSON-RPC"),
        (19, "Odoo 19.0+e-20251227", "protocol JSON-2"),
    ] {
        let odoo = ready_for_acme(version).await;
        let (code, lines, err) = check(&odoo, &["--partner", "acme"]).await;
        let text = lines.join("\n");
        assert_eq!(code, 0, "{version}: {text}\n{err}");
        assert!(
            lines
                .iter()
                .all(|l| l.starts_with("ok ") || l.starts_with("Odoo is ready")),
            "{text}"
        );
        let reach = line(&lines, "ok       reach http://127.0.0.1:");
        assert!(
            reach.contains(server) && reach.contains(protocol),
            "{reach}"
        );
        assert_eq!(
            line(&lines, "ok       authenticate"),
            format!("ok       authenticate {LOGIN} on database {DB}: uid 2")
        );
        line(&lines, "ok       rights on sale.order: read, create, write");
        line(&lines, "ok       rights on account.move: read");
        line(&lines, "ok       acme: customer ref ACME is res.partner");
        line(
            &lines,
            "ok       acme: ship-to ref ACME-DC is a delivery address",
        );
        line(
            &lines,
            "ok       acme: product with default_code WID-1, WID-2",
        );
        line(&lines, "ok       acme: unit named Case, Units");
        // ACME sends no ship notices: no Purchase rights asked for.
        assert!(!text.contains("purchase.order"), "{text}");
        read_only(&odoo, &lines);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_right_is_reported_with_the_group_that_grants_it() {
    for version in [18, 19] {
        let odoo = ready_for_acme(version).await;
        odoo.deny("sale.order", "create");
        let (code, lines, err) = check(&odoo, &["--partner", "acme"]).await;
        let text = lines.join("\n");
        assert_eq!(code, 1, "{version}: {text}\n{err}");
        assert_eq!(
            line(&lines, "MISSING  create on sale.order"),
            format!(
                "MISSING  create on sale.order: not allowed for {LOGIN} — fix: give {LOGIN} the \
                 group Sales/User: All Documents (Settings › Users & Companies › Users › {LOGIN})"
            )
        );
        line(&lines, "ok       rights on sale.order: read, write");
        assert_eq!(
            lines.last().map(String::as_str),
            Some("1 to fix before Wharf can work with this Odoo.")
        );
        read_only(&odoo, &lines);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_product_and_customer_are_reported_with_their_fix() {
    for version in [18, 19] {
        let odoo = ready_for_acme(version).await;
        odoo.delete_where("product.product", "default_code", "WID-2");
        odoo.delete_where("res.partner", "ref", "ACME");
        odoo.write(
            "res.partner",
            odoo.with(|w| {
                w.all("res.partner")
                    .iter()
                    .find(|r| r["ref"] == "ACME-HQ")
                    .and_then(|r| r["id"].as_i64())
                    .unwrap()
            }),
            json!({ "type": "contact" }),
        );
        let (code, lines, err) = check(&odoo, &["--partner", "acme"]).await;
        let text = lines.join("\n");
        assert_eq!(code, 1, "{version}: {text}\n{err}");
        let product = line(&lines, "MISSING  acme: no product with default_code WID-2");
        assert!(
            product.contains(
                "— fix: create it in Inventory › Products › Products with Internal Reference \
                 WID-2, or map buyer part ACME-002 to an existing code in"
            ) && product.ends_with("acme.toml [mapping.items]"),
            "{product}"
        );
        line(&lines, "ok       acme: product with default_code WID-1");
        let customer = line(
            &lines,
            "MISSING  acme: no contact with ref ACME (the customer)",
        );
        assert!(
            customer.contains("— fix: in Contacts, open the customer and set Reference (ACME)")
                && customer.ends_with("acme.toml [mapping]"),
            "{customer}"
        );
        let ship_to = line(&lines, "MISSING  acme: ship-to ref ACME-HQ is res.partner");
        assert!(
            ship_to.ends_with(
                "but not a delivery address — fix: in Contacts, set its Address Type to Delivery Address"
            ),
            "{ship_to}"
        );
        line(
            &lines,
            "ok       acme: ship-to ref ACME-DC is a delivery address",
        );
        assert_eq!(
            lines.last().map(String::as_str),
            Some("3 to fix before Wharf can work with this Odoo.")
        );
        read_only(&odoo, &lines);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_profile_is_checked_and_receipts_need_the_versions_package_model() {
    for (version, package) in [(18, "stock.quant.package"), (19, "stock.package")] {
        let odoo = ready_for_acme(version).await;
        let (code, lines, err) = check(&odoo, &[]).await;
        let text = lines.join("\n");
        // The other samples' records are not in this double.
        assert_eq!(code, 1, "{text}\n{err}");
        // PINNACLE sends ship notices: its receipts need Purchase and Inventory rights.
        line(
            &lines,
            &format!("ok       rights on {package}: read, create"),
        );
        line(&lines, "ok       rights on purchase.order: read");
        line(
            &lines,
            "ok       rights on stock.move.line: read, create, write",
        );
        // PINNACLE is a supplier: its ref names the vendor.
        line(
            &lines,
            "MISSING  pinnacle: no contact with ref PINNACLE (the vendor) — fix: in Contacts, \
             open the vendor and set Reference (PINNACLE)",
        );
        line(
            &lines,
            "ok       acme: product with default_code WID-1, WID-2",
        );
        read_only(&odoo, &lines);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_odoo_that_does_not_answer_or_refuses_the_key_is_one_precise_fail() {
    // Nothing listens on port 1.
    let mut env = TestEnv::new(Db::Sqlite).await;
    env.use_odoo("http://127.0.0.1:1", DB, LOGIN, KEY);
    let (code, out, err) = env.run(&["odoo", "check"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<String> = out.lines().map(str::to_owned).collect();
    let fail = line(
        &lines,
        "FAIL     reach http://127.0.0.1:1: Odoo does not answer (unreachable:",
    );
    assert!(
        fail.contains("— fix: check [erp] url (WHARF_ERP__URL) and that Odoo runs"),
        "{fail}"
    );
    assert_eq!(lines.len(), 2, "nothing else is tried: {out}");

    // The double answers 503 (its proxy, Odoo stopped).
    let odoo = ready_for_acme(18).await;
    odoo.with(|w| w.behaviour.down = true);
    let (code, lines, _) = check(&odoo, &[]).await;
    assert_eq!(code, 1);
    line(&lines, "FAIL     reach http://127.0.0.1:");
    assert!(lines[0].contains("(http 503: "), "{}", lines[0]);

    // A key Odoo does not know (on 19 too, where Wharf itself needs no uid).
    for version in [18, 19] {
        let odoo = ready_for_acme(version).await;
        let mut env = env_for(Db::Sqlite, &odoo).await;
        env.set_env(
            "WHARF_SECRET_ODOO_API_KEY",
            "0000000000000000000000000000000000000000",
        );
        let (code, out, err) = env.run(&["odoo", "check"]);
        assert_eq!(code, 1, "{out}\n{err}");
        let lines: Vec<String> = out.lines().map(str::to_owned).collect();
        let refused = line(&lines, "FAIL     authenticate");
        assert!(
            refused.starts_with(&format!(
                "FAIL     authenticate {LOGIN} on database {DB}: refused — fix: check [erp] database and login"
            )),
            "{refused}"
        );
        assert_eq!(lines.len(), 3, "{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_odoo_configured_the_check_says_how_to_configure_it() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, out, err) = env.run(&["odoo", "check"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("needs Odoo as the ERP: set [erp] kind = \"odoo\""),
        "{err}"
    );
    let (code, _, err) = env.run(&["odoo", "check", "--partner", "nobody"]);
    assert_eq!(code, 2, "{err}");
}

/// The group each MISSING right names must be one Odoo itself lists as granting that right
/// (or one that implies such a group): every right the check asks for is denied, and each
/// line's advice is held against Odoo's access lists (`kit::odoo::access`, 18 from a real
/// 18.0). Reading `ir.model.data` is granted to Access Rights alone, not to internal users.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_missing_right_names_a_group_odoo_says_grants_it() {
    use crate::kit::odoo::access;
    for version in [18, 19] {
        let odoo = ready_for_acme(version).await;
        for (model, op) in access::rights(version) {
            odoo.deny(model, op);
        }
        // Every sample profile: orders, receipts, replies and invoices, so every right.
        let (code, lines, err) = check(&odoo, &[]).await;
        let text = lines.join("\n");
        assert_eq!(code, 1, "{version}: {text}\n{err}");
        let prefix = format!(": not allowed for {LOGIN} — fix: give {LOGIN} the group ");
        let mut advised = Vec::new();
        for l in lines.iter().filter(|l| l.contains(&prefix)) {
            let (what, fix) = l.split_once(&prefix).unwrap();
            let (op, model) = what
                .trim_start_matches("MISSING  ")
                .split_once(" on ")
                .unwrap_or_else(|| panic!("{l}"));
            let group = fix.split(" (Settings › ").next().unwrap_or_default();
            assert!(
                access::grants(version, group, model, op),
                "{version}: {op} on {model}: the check advises {group:?}, Odoo lists {:?}",
                access::groups_with_access(version, model, op)
            );
            advised.push((op.to_owned(), model.to_owned(), group.to_owned()));
        }
        // Every right Odoo's table knows was asked for and advised on.
        assert_eq!(
            advised.len(),
            access::rights(version).count(),
            "{version}: {text}"
        );
        let external_ids = if version >= 19 {
            "Access Rights"
        } else {
            "Administration/Access Rights"
        };
        for op in ["read", "create"] {
            assert!(
                advised.contains(&(op.into(), "ir.model.data".into(), external_ids.into())),
                "{version}: {advised:?}"
            );
        }
    }
}

/// `has_access` on the wire as a real Odoo 18.0-20250506 answered it over JSON-RPC:
/// `args = [[]]` and keyword `operation` give a bare boolean; an unknown operation is
/// AssertionError "Invalid access mode"; a refused create names Odoo's description of the
/// model and the groups that grant it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn has_access_and_a_refusal_answer_as_real_odoo_18() {
    let odoo = ready_for_acme(18).await;
    odoo.deny("ir.model.data", "create");
    let http = reqwest::Client::new();
    let call = |model: &str, method: &str, args: Value, kw: Value| {
        let body = json!({
            "jsonrpc": "2.0", "method": "call", "id": 7,
            "params": { "service": "object", "method": "execute_kw",
                        "args": [DB, 2, KEY, model, method, args, kw] },
        });
        let req = http.post(format!("{}/jsonrpc", odoo.url())).json(&body);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    // Recorded: {"jsonrpc": "2.0", "id": 7, "result": false} for a right not granted.
    let r = call(
        "ir.model.data",
        "has_access",
        json!([[]]),
        json!({"operation": "create"}),
    )
    .await;
    assert_eq!(r, json!({"jsonrpc": "2.0", "id": 7, "result": false}));
    let r = call(
        "sale.order",
        "has_access",
        json!([[]]),
        json!({"operation": "read"}),
    )
    .await;
    assert_eq!(r, json!({"jsonrpc": "2.0", "id": 7, "result": true}));
    let r = call(
        "sale.order",
        "has_access",
        json!([[]]),
        json!({"operation": "bogus"}),
    )
    .await;
    assert_eq!(r["error"]["code"], 200);
    assert_eq!(r["error"]["data"]["name"], "builtins.AssertionError");
    assert_eq!(r["error"]["data"]["message"], "Invalid access mode");
    let r = call(
        "ir.model.data",
        "create",
        json!([[{"module": "wharf", "name": "x1", "model": "res.partner", "res_id": 3}]]),
        json!({}),
    )
    .await;
    assert_eq!(r["error"]["data"]["name"], "odoo.exceptions.AccessError");
    assert_eq!(
        r["error"]["data"]["message"],
        "You are not allowed to create 'Model Data' (ir.model.data) records.\n\nThis operation \
         is allowed for the following groups:\n\t- Administration/Access Rights\n\nContact your \
         administrator to request access if necessary."
    );
}

/// A product someone archived is not "missing": Odoo's lookups leave it out, and creating it
/// anew would make a second product with its code, so the fix is to unarchive it (seen on a
/// real 18.0: `search_read` by `default_code` finds nothing, `active = false` finds it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_product_is_reported_to_be_unarchived() {
    for version in [18, 19] {
        let odoo = ready_for_acme(version).await;
        let wid2 = odoo.with(|w| {
            w.all("product.product")
                .iter()
                .find(|r| r["default_code"] == "WID-2")
                .and_then(|r| r["id"].as_i64())
                .unwrap()
        });
        odoo.write("product.product", wid2, json!({ "active": false }));
        let (code, lines, err) = check(&odoo, &["--partner", "acme"]).await;
        let text = lines.join("\n");
        assert_eq!(code, 1, "{version}: {text}\n{err}");
        let product = line(&lines, "MISSING  acme: no product with default_code WID-2");
        assert!(
            product.contains(&format!(
                "— fix: it is archived (product.product {wid2}): unarchive it in Inventory › \
                 Products › Products (Filters › Archived, open it, Action › Unarchive), or map \
                 buyer part ACME-002 to another code in"
            )),
            "{product}"
        );
        line(&lines, "ok       acme: product with default_code WID-1");
        read_only(&odoo, &lines);
    }
}

//! The command line as an operator uses it, with no database involved: `translate`, `ack`
//! and `partners check`.

use crate::kit::{Db, TestEnv, segments};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/x12/850_acme.edi"
);

#[tokio::test]
async fn translate_prints_one_canonical_order_per_line() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, out, err) = env.run(&["translate", FIXTURE]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    let order: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(order["type"], "Order");
    assert_eq!(order["po_number"], "PO-1001");
    assert_eq!(order["po_date"], "2026-11-26");
    assert_eq!(order["currency"], "USD");
    assert_eq!(order["requested_delivery_date"], "2026-12-03");
    assert_eq!(order["lines"].as_array().unwrap().len(), 2);
    assert_eq!(order["lines"][0]["quantity"], "10");
    assert_eq!(order["lines"][0]["unit_price"], "12.50");
    assert_eq!(order["lines"][0]["description"], "Blue widget");
    assert_eq!(order["parties"][0]["role"], "ShipTo");
    assert_eq!(order["parties"][0]["city"], "Springfield");
    // Nothing was stored.
    assert!(!env.path().join("data").exists());
}

#[tokio::test]
async fn translate_refuses_unreadable_input_with_a_precise_message() {
    let env = TestEnv::new(Db::Sqlite).await;
    let junk = env.file("junk.txt", b"hello, this is not EDI\n");
    let (code, out, err) = env.run(&["translate", junk.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("not X12 (ISA), EDIFACT (UNA/UNB) or XML"),
        "{err}"
    );

    let truncated = env.file("trunc.edi", &std::fs::read(FIXTURE).unwrap()[..60]);
    let (code, _, err) = env.run(&["translate", truncated.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("ISA"), "{err}");
}

#[tokio::test]
async fn ack_prints_the_997_the_gateway_would_send() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, out, err) = env.run(&["ack", FIXTURE]);
    assert_eq!(code, 0, "{err}");
    let segs = segments(out.as_bytes());
    assert!(
        segs[0]
            .starts_with("ISA*00*          *00*          *ZZ*WHARF          *ZZ*ACMERETAIL     *"),
        "{}",
        segs[0]
    );
    assert_eq!(segs[0].len(), 105, "ISA is fixed width: {}", segs[0]);
    let body: Vec<&str> = segs
        .iter()
        .skip(1)
        .map(String::as_str)
        .filter(|s| !s.starts_with("GS") && !s.starts_with("GE") && !s.starts_with("IEA"))
        .collect();
    assert_eq!(
        body,
        [
            "ST*997*0001",
            "AK1*PO*101",
            "AK2*850*0001",
            "AK5*A",
            "AK9*A*1*1*1",
            "SE*6*0001"
        ]
    );
}

#[tokio::test]
async fn partners_check_reports_file_line_and_hint() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, out, _) = env.run(&["partners", "check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok      acme"), "{out}");
    assert!(out.contains("ok      globex"), "{out}");
    assert!(out.contains("ok      eurofoods"), "{out}");

    env.file("partners/broken.toml", b"id = \"broken\"\nname = \"Broken\"\n[x12]\nqualifier = \"Z\"\nid = \"B\"\nfunctional_ack = \"998\"\n");
    let (code, out, _) = env.run(&["partners", "check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("broken.toml:4: x12.qualifier"), "{out}");
    assert!(out.contains("hint:"), "{out}");
    assert!(out.contains("broken.toml:6: x12.functional_ack"), "{out}");
    assert!(out.contains("5 profile(s) loaded, 2 problem(s)"), "{out}");

    // The [edifact] section is checked the same way.
    std::fs::remove_file(env.path().join("partners/broken.toml")).unwrap();
    env.file(
        "partners/eubroken.toml",
        b"id = \"eubroken\"\nname = \"EU\"\n[edifact]\nid = \"4000000000000\"\ncontrl = \"sometimes\"\ncharset = \"UNOZ\"\n",
    );
    let (code, out, _) = env.run(&["partners", "check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("eubroken.toml:5: edifact.contrl"), "{out}");
    assert!(out.contains("eubroken.toml:6: edifact.charset"), "{out}");
}

#[tokio::test]
async fn ack_follows_the_partners_999_policy() {
    let env = TestEnv::new(Db::Sqlite).await;
    // Globex (01/123456789) wants 999s; its profile is found from the envelope's sender.
    let x12 = String::from_utf8(crate::kit::order_850_from("123456789", 5, "G-5"))
        .unwrap()
        .replace("*ZZ*123456789      *", "*01*123456789      *");
    let file = env.file("globex.edi", x12.as_bytes());
    let (code, out, err) = env.run(&["ack", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // Globex's profile also sets its delimiters: `|` elements, `^` components, `\` segments,
    // `~` repetitions, no line breaks.
    assert!(!out.contains('\n'), "{out}");
    // Globex also wants a TA1 for every interchange: it comes first, then the 999.
    assert!(out.contains("TA1|000000005|261126|1200|A|000"), "{out}");
    let ic999 = out
        .split("ISA|")
        .find(|c| c.contains("ST|999"))
        .map(|c| format!("ISA|{c}"))
        .expect("a 999 interchange");
    let segs: Vec<&str> = ic999.split('\\').filter(|s| !s.is_empty()).collect();
    assert!(
        segs[0]
            .starts_with("ISA|00|          |00|          |ZZ|WHARF          |01|123456789      |"),
        "{}",
        segs[0]
    );
    assert!(
        segs[0].ends_with("|~|00501|000000002|0|P|^"),
        "999 is 5010, ISA11 is the repetition separator: {}",
        segs[0]
    );
    assert!(
        segs.iter()
            .any(|s| s.starts_with("GS|FA|WHARF|123456789|") && s.ends_with("|X|005010X231A1")),
        "{segs:?}"
    );
    assert!(
        segs.iter().any(|s| s.starts_with("ST|999|0001")),
        "{segs:?}"
    );
    assert!(segs.contains(&"IK5|A"), "{segs:?}");
    assert!(segs.contains(&"AK9|A|1|1|1"), "{segs:?}");

    let (code, _, err) = env.run(&["ack", file.to_str().unwrap(), "--partner", "nobody"]);
    assert_eq!(code, 2);
    assert!(err.contains("nobody"), "{err}");
}

const EDIFACT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/edifact/orders_eancom.edi"
);
const EDIFACT_FAULTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/edifact/orders_faults.edi"
);

#[tokio::test]
async fn translate_reads_an_edifact_order_like_an_x12_one() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, out, err) = env.run(&["translate", EDIFACT]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    let order: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(order["type"], "Order");
    assert_eq!(order["po_number"], "PO-4711");
    assert_eq!(order["po_date"], "2026-11-26");
    assert_eq!(order["currency"], "EUR");
    assert_eq!(order["notes"][0], "DELIVER TO DOCK 4+5");
    assert_eq!(order["lines"][0]["quantity"], "12");
    // UNA3 declared a decimal comma.
    assert_eq!(order["lines"][0]["unit_price"], "12.50");
    assert_eq!(order["parties"][1]["role"], "ShipTo");
    assert_eq!(order["parties"][1]["id"], "4012345000108");
    assert_eq!(order["source"]["standard"], "EDIFACT");
}

#[tokio::test]
async fn translate_reports_edifact_faults_with_their_codes() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, out, err) = env.run(&["translate", EDIFACT_FAULTS]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "a rejected message delivers nothing: {out}");
    // NAD04 holds lower case (level B, taken by default) and then a UTF-8 byte, which is
    // outside every level-A/B repertoire: the report names that byte.
    assert!(err.contains("byte 0xC3 at offset 154 in NAD04"), "{err}");
    assert!(err.contains("outside UNOA"), "{err}");
    assert!(err.contains("[0085 code 21]"), "{err}");
    assert!(
        err.contains("QTY01 component 2 \"2X\" is not a number"),
        "{err}"
    );
    assert!(err.contains("[0085 code 37]"), "{err}");
    assert!(
        err.contains("UNT01 says \"9\" segments but message 1 has 7"),
        "{err}"
    );
    assert!(err.contains("[0085 code 29]"), "{err}");
}

#[tokio::test]
async fn ack_prints_the_contrl_the_gateway_would_send() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, out, err) = env.run(&["ack", EDIFACT_FAULTS]);
    assert_eq!(code, 0, "{err}");
    let segs: Vec<&str> = out.split("'\n").filter(|s| !s.is_empty()).collect();
    // Our own interchange: sender and recipient swapped.
    assert!(
        segs[0].starts_with("UNB+UNOA:3+WHARF+4012345000009:14+"),
        "{out}"
    );
    assert_eq!(
        &segs[1..],
        [
            "UNH+1+CONTRL:D:3:UN",
            // The received interchange and its parties, as received.
            "UCI+ORD0002+4012345000009:14+5412345000013:14+7",
            "UCM+1+ORDERS:D:96A:UN:EAN008+4+29+UNT+1",
            // NAD at position 3 (UNH = 1): the mandatory DTM missing before it (13), and a
            // byte outside UNOA in NAD04 (21).
            "UCS+3+13",
            "UCD+21+4",
            // QTY at position 5: a letter in the numeric QTY01 component 2.
            "UCS+5",
            "UCD+37+1:2",
            "UNT+8+1",
            "UNZ+1+1",
        ],
        "{out}"
    );
    // A sound interchange is acknowledged with action 7 throughout.
    let (code, out, _) = env.run(&["ack", EDIFACT]);
    assert_eq!(code, 0);
    assert!(out.starts_with("UNA:+,? '\n"), "{out}");
    assert!(
        out.contains("UCI+ORD0001+4012345000009:14+5412345000013:14+7'"),
        "{out}"
    );
    assert!(out.contains("UCM+1+ORDERS:D:96A:UN:EAN008+7'"), "{out}");
}

const CXML: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/xml/cxml_order.xml"
);

#[tokio::test]
async fn translate_and_ack_read_cxml() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, out, err) = env.run(&["translate", CXML]);
    assert_eq!(code, 0, "{err}");
    let order: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(order["po_number"], "PO-CX-77");
    assert_eq!(order["source"]["standard"], "cXML");
    let (code, out, _) = env.run(&["ack", CXML]);
    assert_eq!(code, 0);
    assert!(out.contains(r#"<Status code="200" text="OK"/>"#), "{out}");

    // Not well-formed: exit 2 and the element path where reading stopped.
    let broken = env.file(
        "broken.xml",
        b"<?xml version=\"1.0\"?><cXML><Request><OrderRequest></Request></cXML>",
    );
    let (code, _, err) = env.run(&["translate", broken.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/cXML/Request/OrderRequest"), "{err}");
    let (_, out, _) = env.run(&["ack", broken.to_str().unwrap()]);
    assert!(
        out.contains(r#"<Status code="400" text="Bad Request">"#),
        "{out}"
    );
}

#[tokio::test]
async fn ubl_is_translated_and_has_no_syntax_acknowledgement() {
    let env = TestEnv::new(Db::Sqlite).await;
    let ubl = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/xml/ubl_order.xml"
    );
    let (code, out, err) = env.run(&["translate", ubl]);
    assert_eq!(code, 0, "{err}");
    let order: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(order["po_number"], "PO-UBL-5");
    assert_eq!(order["source"]["standard"], "UBL");
    let (code, out, err) = env.run(&["ack", ubl]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("has no acknowledgement"), "{err}");
}

#[tokio::test]
async fn translate_plan_shows_what_the_partners_rules_make_of_each_document() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, out, err) = env.run(&["translate", CXML, "--partner", "procurenet", "--plan"]);
    assert_eq!(code, 0, "{err}");
    let line: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(line["document"]["po_number"], "PO-CX-77");
    let plan = &line["plan"];
    assert_eq!(plan["customer_ref"], "PROCURENET");
    assert_eq!(plan["ship_to_ref"], "STORE-9");
    // procurenet's item order puts the buyer's part number first; its unit map names EA.
    assert_eq!(plan["lines"][0]["product"]["kind"], "buyer_part");
    assert_eq!(plan["lines"][0]["product"]["value"], "ACME-001");
    assert_eq!(plan["lines"][0]["uom"], "Units");
    assert_eq!(plan["lines"][1]["product"]["kind"], "vendor_part");
    assert_eq!(plan["lines"][1]["uom"], "Case");
    // The Odoo records: the buyer part went through procurenet's cross-reference table.
    let odoo = &line["odoo"];
    assert_eq!(odoo["record"]["model"], "sale.order");
    assert_eq!(
        odoo["record"]["external_id"],
        "wharf.order_procurenet__PO_2DCX_2D77"
    );
    assert_eq!(odoo["record"]["values"]["client_order_ref"], "PO-CX-77");
    let lookup = |name: &str| {
        odoo["lookups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["as"] == name)
            .map(|l| l["domain"].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        lookup("product_1"),
        serde_json::json!([["default_code", "=", "WID-1"]])
    );
    assert_eq!(
        odoo["record"]["values"]["order_line"][0][2]["product_uom"]["ref"],
        "uom_Units"
    );
    // Odoo 19 names the line's unit product_uom_id.
    let (code, out, err) = env.run(&[
        "translate",
        CXML,
        "--partner",
        "procurenet",
        "--plan",
        "--odoo",
        "19",
    ]);
    assert_eq!(code, 0, "{err}");
    let line: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let vals = &line["odoo"]["record"]["values"]["order_line"][0][2];
    assert_eq!(vals["product_uom_id"]["ref"], "uom_Units", "{vals}");
    // A rule the profile rejects: listed under errors, exit status 1.
    let unknown = env.file(
        "unknown-part.xml",
        std::fs::read_to_string(CXML)
            .unwrap()
            .replace(
                "<BuyerPartID>ACME-001</BuyerPartID>",
                "<BuyerPartID>ACME-404</BuyerPartID>",
            )
            .replace("<SupplierPartID>WID-1</SupplierPartID>", "")
            .as_bytes(),
    );
    let (code, out, _) = env.run(&[
        "translate",
        unknown.to_str().unwrap(),
        "--partner",
        "procurenet",
        "--plan",
    ]);
    assert_eq!(code, 1, "{out}");
    let line: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        line["errors"][0],
        "PO PO-CX-77 line 1: no product: buyer part ACME-404 is not in [mapping.items] [item_unresolved]"
    );
    // Nothing was stored.
    assert!(!env.path().join("data").exists());
    // A plan needs a partner.
    let (code, _, err) = env.run(&["translate", CXML, "--plan"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--partner"), "{err}");
}

#[tokio::test]
async fn partners_check_fails_precisely_on_the_broken_fixtures() {
    // The samples plus a folder of broken profiles kept as fixtures.
    let env = TestEnv::new(Db::Sqlite).await;
    let broken = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/partners/broken"
    );
    for entry in std::fs::read_dir(broken).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        env.file(&format!("partners/{name}"), &std::fs::read(&path).unwrap());
    }
    let (code, out, _) = env.run(&["partners", "check"]);
    assert_eq!(code, 1, "{out}");
    for expected in [
        "bad-qualifier.toml:5: x12.qualifier: `ZZZ` is not a 2-character ISA05 qualifier",
        "typo.toml:7: functional_akc: unknown field `functional_akc`",
        "misnamed.toml:1: id: `wrong-name` differs from the file name `misnamed`",
        "bad-edifact.toml:6: edifact.contrl: `sometimes` is not one of",
        "bad-edifact.toml:7: edifact.charset: `EBCDIC` is not one of UNOA, UNOB, UNOC, UNOY",
        "clash.toml:5: x12: identity ZZ/ACMERETAIL is also claimed by acme",
        "acme.toml:10: x12: identity ZZ/ACMERETAIL is also claimed by clash",
        "half-cxml.toml:",
        // Agreements name only what Wharf can do, each problem at its own [[documents]].
        "bad-agreement.toml:11: documents[0].direction: Wharf does not handle x12 850 outbound",
        "bad-agreement.toml:14: documents[1].standard: edifact documents are agreed but the profile has no [edifact] identity",
        "bad-agreement.toml:23: documents[2].sscc_prefix: 855 out carries no packages Wharf labels",
        "bad-agreement.toml:29: documents[3].version: `4O10` is not a version (hint: four digits: 4010, 5010)",
        // Channels: a password is never written into a profile, not even in a URL.
        "bad-channels.toml:9: sftp.user: `bad user` is not a user name",
        "bad-channels.toml:10: sftp.keys[0]: `ssh-dss` is not an SSH public key type",
        "bad-channels.toml:13: collect[0].url: `ftp://wharf:hunter2@ftp.partner.example/out` holds a user or password",
        "bad-channels.toml:15: collect[0].secret: is not env:NAME or file:/path",
        "bad-channels.toml:16: collect[0].every: `often` is not an interval of at least 10s",
        "bad-channels.toml:19: deliver[0].url: `gopher://partner.example/in` is not an ftp://, ftps:// or sftp:// URL",
        "bad-channels.toml:21: deliver[0].name: `{date}` is not a name field",
        // Mapping rules, strictness and limits.
        "bad-rules.toml:10: mapping.price: `cheapest` is not partner or odoo",
        "bad-rules.toml:11: mapping.price_tolerance: `-1` is not a non-negative amount",
        "bad-rules.toml:13: mapping.items: a buyer part table is given but item_id_order never uses buyer_part",
        "bad-rules.toml:17: mapping.ship_to.ref: `STORE` does not contain {code}",
        "bad-rules.toml:20: strictness.item_unresolved: `ignore` is not reject, warn or accept",
        "bad-rules.toml:21: strictness.late_delivery: `late_delivery` is not a rule",
        "bad-rules.toml:24: limits.max_file_bytes: 0 would refuse everything",
    ] {
        assert!(out.contains(expected), "`{expected}` missing from:\n{out}");
    }
    // The sound samples still load; acme does not, while its identity is contested.
    assert!(out.contains("ok      eurofoods"), "{out}");
    assert!(out.contains("ok      globex"), "{out}");
    assert!(!out.contains("ok      acme"), "{out}");
}

//! Tests of `scaffold/`: every template makes a profile that passes the checks, keys and
//! passwords are written with the comments kept, bad input changes nothing.

use super::*;

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl acme-edi";

/// A folder holding the samples, as a deployment starts.
fn folder() -> tempfile::TempDir {
    let files: Vec<(String, &str)> = Template::ALL
        .iter()
        .map(|t| (format!("{}.toml", t.word()), t.sample()))
        .collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    crate::partners::test_folder(&refs)
}

#[test]
fn every_template_passes_the_checks_beside_its_sample() {
    let dir = folder();
    for (n, t) in Template::ALL.into_iter().enumerate() {
        let id = format!("partner-{n}");
        let path = create(dir.path(), &NewPartner::new(&id, t).unwrap()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(&format!("id = \"{id}\"")), "{text}");
        assert!(
            !to_do(&text).is_empty(),
            "{t:?} leaves placeholders:\n{text}"
        );
        // Only a placeholder (`#key = …`) may still show the sample's values, as an example.
        let speaking = text
            .lines()
            .filter(|l| !l.starts_with('#') || l.starts_with("# "));
        for line in speaking {
            assert!(!line.contains(t.short_name()), "{t:?}: {line}");
            assert!(
                !line.contains(&format!("\"{}\"", t.word())),
                "{t:?}: {line}"
            );
        }
    }
    let (partners, problems) = Partners::load(dir.path());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(partners.len(), 10);
    let acme2 = partners.get("partner-0").unwrap();
    assert_eq!(acme2.x12.as_ref().unwrap().id, "PARTNER-0");
    assert_eq!(acme2.name, "partner-0");
    assert!(
        acme2.channels.sftp.is_none(),
        "no login until a key or password"
    );
}

#[test]
fn given_ids_and_name_are_written_and_foreign_ones_refused() {
    let mut new = NewPartner::new("shopco", Template::Acme).unwrap();
    new.name = Some("Shop \"Co\"".into());
    new.x12_id = Some("SHOPCO01".into());
    new.x12_qualifier = Some("01".into());
    let text = scaffold(&new).unwrap();
    let parsed: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(parsed["name"].as_str(), Some("Shop \"Co\""), "{text}");
    assert!(text.contains("id = \"SHOPCO01\""), "{text}");
    assert!(text.contains("qualifier = \"01\""), "{text}");
    assert!(!text.contains("also"), "ACME's DUNS dropped:\n{text}");
    new.edifact_id = Some("4000000000001".into());
    assert!(matches!(
        scaffold(&new),
        Err(OnboardError::NotInTemplate {
            what: IdKind::Edifact,
            ..
        })
    ));
    assert!(matches!(
        NewPartner::new("Shop Co", Template::Acme),
        Err(OnboardError::Id(..))
    ));
    assert!(matches!(
        Template::parse("initech"),
        Err(OnboardError::UnknownTemplate(_))
    ));
}

#[test]
fn an_existing_id_or_a_clashing_identity_is_refused() {
    let dir = folder();
    let new = NewPartner::new("acme", Template::Eurofoods).unwrap();
    assert!(matches!(
        create(dir.path(), &new),
        Err(OnboardError::Exists { .. })
    ));
    let mut twin = NewPartner::new("twin", Template::Acme).unwrap();
    twin.x12_id = Some("ACMERETAIL".into());
    match create(dir.path(), &twin) {
        Err(OnboardError::Problems(p)) => assert!(p.iter().any(|e| e.contains("ACMERETAIL"))),
        other => panic!("{other:?}"),
    }
    assert!(!dir.path().join("twin.toml").exists());
}

#[test]
fn a_key_brings_the_commented_login_to_life_with_comments_kept() {
    let dir = folder();
    create(
        dir.path(),
        &NewPartner::new("shopco", Template::Acme).unwrap(),
    )
    .unwrap();
    let key = SshPublicKey::parse(&format!("{KEY}\n")).unwrap();
    let saved = add_key(dir.path(), "shopco", &key, "root").unwrap();
    let text = std::fs::read_to_string(&saved.path).unwrap();
    assert!(text.contains("[sftp]"), "{text}");
    assert!(text.contains(&format!("keys = [\"{KEY}\"]")), "{text}");
    assert!(
        text.contains("pattern = \"*.edi\""),
        "the template's pattern kept:\n{text}"
    );
    assert!(
        !text.contains("#[sftp]") && !text.contains("#keys"),
        "{text}"
    );
    assert!(
        text.contains("# the customer's `ref` in Odoo"),
        "comments kept:\n{text}"
    );
    let kept = saved.kept.unwrap();
    assert!(std::fs::read_to_string(kept).unwrap().contains("#[sftp]"));
    let (partners, problems) = Partners::load(dir.path());
    assert!(problems.is_empty(), "{problems:?}");
    let sftp = partners
        .get("shopco")
        .unwrap()
        .channels
        .sftp
        .clone()
        .unwrap();
    assert_eq!((sftp.user.as_str(), sftp.keys.len()), ("shopco", 1));
    // The same key again is refused, the file unchanged.
    assert!(matches!(
        add_key(dir.path(), "shopco", &key, "root"),
        Err(OnboardError::KeyPresent { .. })
    ));
    assert_eq!(std::fs::read_to_string(&saved.path).unwrap(), text);
}

#[test]
fn a_password_is_hashed_into_an_existing_login() {
    let dir = folder();
    let saved = set_password(dir.path(), "acme", "s3cret pass", "cli").unwrap();
    let text = std::fs::read_to_string(&saved.path).unwrap();
    assert!(!text.contains("s3cret"), "{text}");
    assert!(text.contains("password_hash = \"$argon2"), "{text}");
    assert!(
        text.contains("# ACME's login on Wharf's SFTP server"),
        "{text}"
    );
    let (partners, _) = Partners::load(dir.path());
    let sftp = partners.get("acme").unwrap().channels.sftp.clone().unwrap();
    assert!(sftp.password_matches("s3cret pass"));
    assert!(matches!(
        set_password(dir.path(), "acme", "", "cli"),
        Err(OnboardError::EmptyPassword)
    ));
    assert!(matches!(
        set_password(dir.path(), "nobody", "x", "cli"),
        Err(OnboardError::NoProfile { .. })
    ));
}

#[test]
fn bad_keys_are_refused_precisely() {
    type Expected = fn(&OnboardError) -> bool;
    let cases: [(&str, Expected); 5] = [
        ("", |e| matches!(e, OnboardError::NoKey)),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n",
            |e| matches!(e, OnboardError::PrivateKey),
        ),
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP== x", |e| {
            e.to_string()
                .contains("`ssh-dss` is not an SSH public key type")
        }),
        (
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GK== x",
            |e| e.to_string().contains("does not decode"),
        ),
        ("ssh-ed25519 AAAA a\nssh-ed25519 BBBB b", |e| {
            matches!(e, OnboardError::SeveralKeys(2))
        }),
    ];
    for (text, expected) in cases {
        let e = SshPublicKey::parse(text).unwrap_err();
        assert!(expected(&e), "{text:?}: {e}");
    }
}

#[test]
fn written_keys_and_placeholders_are_told_apart() {
    let text = scaffold(&NewPartner::new("shopco", Template::Acme).unwrap()).unwrap();
    assert!(!is_written(&text, "mapping", "customer_ref"));
    assert!(is_written(&text, "mapping", "item_id_order"));
    assert!(is_written(
        Template::Acme.sample(),
        "mapping",
        "customer_ref"
    ));
    assert!(is_written(
        Template::Acme.sample(),
        "mapping.items",
        "ACME-001"
    ));
    assert!(to_do(Template::Acme.sample()).is_empty());
}

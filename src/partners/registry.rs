//! The identity registry: every loaded profile, the check that no identity is claimed by
//! two partners, and the lookups that name the one partner an envelope, AS2 name or XML
//! sender belongs to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::check::line_in_section;
use super::{PartnerId, Profile, ProfileError, parse_profile};

/// All loaded profiles, and the envelope lookup.
#[derive(Debug, Clone, Default)]
pub struct Partners {
    pub(super) profiles: BTreeMap<PartnerId, Profile>,
}

impl Partners {
    /// Loads every `*.toml` in `dir`. Good profiles are kept even when others are bad; the
    /// problems are returned for the operator. Two profiles claiming one identity (X12,
    /// EDIFACT, cXML or UBL) is a problem for both, since a message must match exactly one
    /// partner: neither is loaded until the clash is fixed.
    pub fn load(dir: &Path) -> (Partners, Vec<ProfileError>) {
        Self::load_with(dir, None)
    }

    /// [`Partners::load`] with one file's text replaced (`candidate`: its path and the text
    /// it would have), to check an edit against the whole folder before it is saved. A
    /// candidate for a file not yet in the folder is checked as a new profile.
    pub fn load_with(
        dir: &Path,
        candidate: Option<(&Path, &str)>,
    ) -> (Partners, Vec<ProfileError>) {
        let mut problems = Vec::new();
        let mut profiles = BTreeMap::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(ProfileError {
                    file: dir.display().to_string(),
                    line: 0,
                    key: "(folder)".into(),
                    why: e.to_string(),
                    hint: Some("set partners_dir in wharf.toml or WHARF_PARTNERS_DIR".into()),
                });
                return (Partners::default(), problems);
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        if let Some((c, _)) = candidate
            && !paths.iter().any(|p| p == c)
        {
            paths.push(c.to_path_buf());
        }
        paths.sort();
        for path in paths {
            let read = match candidate {
                Some((c, text)) if c == path => Ok(text.to_owned()),
                _ => std::fs::read_to_string(&path),
            };
            let text = match read {
                Ok(t) => t,
                Err(e) => {
                    problems.push(ProfileError {
                        file: path.display().to_string(),
                        line: 0,
                        key: "(file)".into(),
                        why: e.to_string(),
                        hint: None,
                    });
                    continue;
                }
            };
            match parse_profile(&path, &text) {
                Ok(p) => {
                    profiles.insert(p.id.clone(), p);
                }
                Err(mut errs) => problems.append(&mut errs),
            }
        }
        // Every identity an envelope can carry, with the section and key that declares it.
        let mut claims: Vec<(&'static str, String, PartnerId, &'static str)> = Vec::new();
        for p in profiles.values() {
            for x in p.x12_identities() {
                claims.push((
                    "x12",
                    format!("{}/{}", x.qualifier, x.id),
                    p.id.clone(),
                    "qualifier",
                ));
            }
            for e in p.edifact_identities() {
                // A profile without a qualifier matches every qualifier of its id.
                let q = e.qualifier.as_deref().unwrap_or("*");
                claims.push(("edifact", format!("{}:{q}", e.id), p.id.clone(), "id"));
            }
            for c in p.cxml_identities() {
                let key = format!("{}:{}", c.domain.to_ascii_lowercase(), c.identity);
                claims.push(("cxml", key, p.id.clone(), "identity"));
            }
            for u in &p.ubl_endpoints {
                claims.push(("ubl", u.clone(), p.id.clone(), "endpoint_id"));
            }
        }
        let overlaps = |a: &(&str, String, PartnerId, &str),
                        b: &(&str, String, PartnerId, &str)| {
            if a.0 != b.0 || a.2 == b.2 {
                return false;
            }
            if a.0 == "edifact" {
                let (ai, aq) = a.1.rsplit_once(':').unwrap_or((&a.1, "*"));
                let (bi, bq) = b.1.rsplit_once(':').unwrap_or((&b.1, "*"));
                return ai == bi && (aq == bq || aq == "*" || bq == "*");
            }
            a.1 == b.1
        };
        let mut clashing: BTreeMap<PartnerId, (String, Vec<String>, &'static str, &'static str)> =
            BTreeMap::new();
        for a in &claims {
            let others: Vec<String> = claims
                .iter()
                .filter(|b| overlaps(a, b))
                .map(|b| b.2.as_str().to_owned())
                .collect();
            if !others.is_empty() {
                clashing.insert(a.2.clone(), (a.1.clone(), others, a.0, a.3));
            }
        }
        for (id, (identity, others, section, leaf)) in clashing {
            if let Some(p) = profiles.remove(&id) {
                let text = std::fs::read_to_string(&p.source).unwrap_or_default();
                problems.push(ProfileError {
                    file: p.source.display().to_string(),
                    line: line_in_section(&text, section, leaf),
                    key: section.into(),
                    why: format!(
                        "identity {identity} is also claimed by {}",
                        others.join(", ")
                    ),
                    hint: Some("each envelope must match exactly one partner".into()),
                });
            }
        }
        (Partners { profiles }, problems)
    }

    /// The profile of partner `id`, shared (a stage keeps it while the profiles reload).
    pub fn shared(&self, id: &str) -> Option<std::sync::Arc<Profile>> {
        self.get(id).map(|p| std::sync::Arc::new(p.clone()))
    }

    pub fn get(&self, id: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|(k, _)| k.as_str() == id)
            .map(|(_, v)| v)
    }

    /// The partner whose AS2 name (`[as2] id`) is a message's AS2-From.
    pub fn by_as2_id(&self, as2_id: &str) -> Option<&Profile> {
        self.profiles
            .values()
            .find(|p| p.channels.as2.as_ref().is_some_and(|a| a.id == as2_id))
    }

    /// The partner whose X12 identity sent an interchange (ISA05/ISA06).
    pub fn by_x12_sender(&self, qualifier: &str, id: &str) -> Option<&Profile> {
        self.profiles.values().find(|p| {
            p.x12_identities()
                .any(|x| x.qualifier == qualifier.trim() && x.id == id.trim())
        })
    }

    /// The partner whose EDIFACT identity sent an interchange (UNB 0004, and 0007 when the
    /// profile names one).
    pub fn by_edifact_sender(&self, id: &str, qualifier: Option<&str>) -> Option<&Profile> {
        self.profiles.values().find(|p| {
            p.edifact_identities().any(|e| {
                e.id == id.trim()
                    && e.qualifier
                        .as_deref()
                        .is_none_or(|q| Some(q) == qualifier.map(str::trim))
            })
        })
    }

    /// The partner an XML document comes from: a cXML From credential ("domain:identity",
    /// domain compared without regard to case) or a UBL buyer endpoint id.
    pub fn by_xml_sender(&self, sender: &str) -> Option<&Profile> {
        self.profiles.values().find(|p| {
            p.cxml_identities().any(|c| c.names(sender))
                || p.ubl_endpoints.iter().any(|u| u == sender)
        })
    }

    /// The partner an XML request over HTTP comes from, when it proves it: the cXML identity
    /// its sender names must present that identity's shared secret; a UBL endpoint has none to
    /// present. `/cxml` asks this of a large body's Header and of the whole request alike.
    pub fn authenticate_xml(&self, sender: &str, secret: Option<&str>) -> Option<&Profile> {
        let p = self.by_xml_sender(sender)?;
        match p.cxml_identities().find(|c| c.names(sender)) {
            Some(c) => c.secret_matches(secret).then_some(p),
            None => Some(p),
        }
    }

    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partners::test_folder as folder;

    #[test]
    fn similar_identities_each_find_their_own_partner() {
        let dir = folder(&[
            (
                "a.toml",
                "id = \"a\"\nname = \"A\"\n[x12]\nqualifier = \"ZZ\"\nid = \"ACMERETAIL\"\n[edifact]\nid = \"4012345000009\"\nqualifier = \"14\"\n",
            ),
            (
                "b.toml",
                "id = \"b\"\nname = \"B\"\n[x12]\nqualifier = \"ZZ\"\nid = \"ACMERETAIL2\"\n[edifact]\nid = \"4012345000009\"\nqualifier = \"ZZZ\"\n",
            ),
            (
                "c.toml",
                "id = \"c\"\nname = \"C\"\n[x12]\nqualifier = \"01\"\nid = \"ACMERETAIL\"\n[cxml]\ndomain = \"NetworkID\"\nidentity = \"AN01\"\n",
            ),
        ]);
        let (partners, problems) = Partners::load(dir.path());
        assert!(problems.is_empty(), "{problems:?}");
        let x12 = |q: &str, id: &str| {
            partners
                .by_x12_sender(q, id)
                .map(|p| p.id.as_str().to_owned())
        };
        assert_eq!(x12("ZZ", "ACMERETAIL     ").as_deref(), Some("a"));
        assert_eq!(x12("ZZ", "ACMERETAIL2").as_deref(), Some("b"));
        assert_eq!(x12("01", "ACMERETAIL").as_deref(), Some("c"));
        assert_eq!(x12("ZZ", "ACMERETAIL3"), None);
        let edi = |id: &str, q: Option<&str>| {
            partners
                .by_edifact_sender(id, q)
                .map(|p| p.id.as_str().to_owned())
        };
        assert_eq!(edi("4012345000009", Some("14")).as_deref(), Some("a"));
        assert_eq!(edi("4012345000009", Some("ZZZ")).as_deref(), Some("b"));
        assert_eq!(edi("4012345000009", Some("1")), None);
        let xml = |s: &str| partners.by_xml_sender(s).map(|p| p.id.as_str().to_owned());
        assert_eq!(xml("networkid:AN01").as_deref(), Some("c"));
        assert_eq!(xml("NetworkID:AN02"), None);
    }

    #[test]
    fn several_identities_per_standard_each_find_the_partner_and_are_claimed_once() {
        let dir = folder(&[
            (
                "a.toml",
                "id = \"a\"\nname = \"A\"\n[x12]\nqualifier = \"ZZ\"\nid = \"A-MAIN\"\nalso = [{ qualifier = \"01\", id = \"048123456\" }, { qualifier = \"ZZ\", id = \"A-DC\" }]\n[edifact]\nid = \"4000000000001\"\nalso = [{ id = \"4000000000002\", qualifier = \"14\" }]\n[cxml]\ndomain = \"DUNS\"\nidentity = \"1\"\nalso = [{ domain = \"NetworkID\", identity = \"AN1\" }]\n[ubl]\nendpoint_id = \"5400000000001\"\nalso = [\"5400000000002\"]\n",
            ),
            (
                "b.toml",
                "id = \"b\"\nname = \"B\"\n[x12]\nqualifier = \"ZZ\"\nid = \"A-MAIN2\"\n",
            ),
        ]);
        let (partners, problems) = Partners::load(dir.path());
        assert!(problems.is_empty(), "{problems:?}");
        let found = |p: Option<&Profile>| p.map(|p| p.id.as_str().to_owned());
        assert_eq!(
            found(partners.by_x12_sender("01", "048123456")).as_deref(),
            Some("a")
        );
        assert_eq!(
            found(partners.by_x12_sender("ZZ", "A-DC")).as_deref(),
            Some("a")
        );
        assert_eq!(
            found(partners.by_x12_sender("ZZ", "A-MAIN2")).as_deref(),
            Some("b")
        );
        assert_eq!(found(partners.by_x12_sender("01", "A-DC")), None);
        assert_eq!(
            found(partners.by_edifact_sender("4000000000002", Some("14"))).as_deref(),
            Some("a")
        );
        assert_eq!(
            found(partners.by_edifact_sender("4000000000002", Some("ZZZ"))),
            None
        );
        assert_eq!(
            found(partners.by_xml_sender("networkid:AN1")).as_deref(),
            Some("a")
        );
        assert_eq!(
            found(partners.by_xml_sender("5400000000002")).as_deref(),
            Some("a")
        );
        // The primary identity is still the one Wharf addresses.
        let a = partners.get("a").unwrap();
        assert_eq!(a.x12.as_ref().map(|x| x.id.as_str()), Some("A-MAIN"));

        // A second identity that another profile already has is a clash like any other.
        std::fs::write(
            dir.path().join("b.toml"),
            "id = \"b\"\nname = \"B\"\n[x12]\nqualifier = \"ZZ\"\nid = \"B\"\nalso = [{ qualifier = \"ZZ\", id = \"A-DC\" }]\n",
        )
        .unwrap();
        let (partners, problems) = Partners::load(dir.path());
        assert!(partners.is_empty(), "neither loads");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("b.toml:4: x12: identity ZZ/A-DC is also claimed by a")),
            "{text:?}"
        );
    }

    #[test]
    fn an_identity_claimed_twice_loads_neither_profile() {
        let dir = folder(&[
            (
                "a.toml",
                "id = \"a\"\nname = \"A\"\n[edifact]\nid = \"4012345000009\"\n",
            ),
            (
                "b.toml",
                "id = \"b\"\nname = \"B\"\n[edifact]\nid = \"4012345000009\"\nqualifier = \"14\"\n",
            ),
            (
                "c.toml",
                "id = \"c\"\nname = \"C\"\n[cxml]\ndomain = \"DUNS\"\nidentity = \"1\"\n",
            ),
            (
                "d.toml",
                "id = \"d\"\nname = \"D\"\n[cxml]\ndomain = \"duns\"\nidentity = \"1\"\n",
            ),
            (
                "e.toml",
                "id = \"e\"\nname = \"E\"\n[ubl]\nendpoint_id = \"5400000000000\"\n",
            ),
        ]);
        let (partners, problems) = Partners::load(dir.path());
        // a (any qualifier) overlaps b (14); c and d differ only in the domain's case.
        let ids: Vec<&str> = partners.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, vec!["e"]);
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(text.len(), 4, "{text:?}");
        assert!(
            text.iter()
                .any(|t| t
                    .contains("a.toml:4: edifact: identity 4012345000009:* is also claimed by b")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("d.toml:5: cxml: identity duns:1 is also claimed by c")),
            "{text:?}"
        );
        assert!(
            text.iter().all(|t| t.contains("exactly one partner")),
            "{text:?}"
        );
    }
}

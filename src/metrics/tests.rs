//! Every family written with its labels, from the outside of the registry (its text).

use super::*;

fn has(text: &str, line: &str) {
    assert!(
        text.lines().any(|l| l == line),
        "{line} missing from\n{text}"
    );
}

#[test]
fn families_are_written_with_their_labels() {
    let m = Metrics::new();
    m.received("acme", Channel::Api, 100);
    m.received("acme", Channel::Api, 20);
    m.sent("acme", Channel::Directory, 7);
    m.stage_ran(Stage::Deliver, Outcome::Ok, 0.01);
    m.stage_ran(Stage::Send, Outcome::Retry, 0.5);
    m.stage_ran(Stage::Send, Outcome::Dead, 0.5);
    m.delivered("acme", 1.5);
    m.odoo_call("load", 0.2, Some(OdooErrorKind::Unavailable));
    m.odoo_calls("sale.order", "load");
    m.odoo_calls("sale.order", "load");
    m.mdn("acme", MdnDirection::Received, MdnDisposition::Warning);
    let text = m
        .encode(&AtScrape {
            backlog: Backlog {
                jobs_waiting: 3,
                oldest_job_age_seconds: 2.5,
            },
            ..AtScrape::default()
        })
        .unwrap();
    for line in [
        "wharf_messages_received_total{partner=\"acme\",channel=\"api\"} 2",
        "wharf_received_bytes_total{partner=\"acme\",channel=\"api\"} 120",
        "wharf_messages_sent_total{partner=\"acme\",channel=\"directory\"} 1",
        "wharf_sent_bytes_total{partner=\"acme\",channel=\"directory\"} 7",
        "wharf_stage_duration_seconds_count{stage=\"deliver\",outcome=\"ok\"} 1",
        "wharf_retries_total{stage=\"send\"} 1",
        "wharf_dead_letters_total{stage=\"send\"} 1",
        "wharf_end_to_end_seconds_count{partner=\"acme\"} 1",
        "wharf_jobs_waiting 3",
        "wharf_oldest_job_age_seconds 2.5",
        "wharf_odoo_request_seconds_count{method=\"load\"} 1",
        "wharf_odoo_errors_total{kind=\"unavailable\"} 1",
        "wharf_odoo_calls_total{model=\"sale.order\",method=\"load\"} 2",
        "wharf_as2_mdns_total{partner=\"acme\",direction=\"received\",disposition=\"warning\"} 1",
        // Written from the start, at zero.
        "wharf_sftp_logins_total{method=\"password\",outcome=\"server_limit\"} 0",
        "# EOF",
    ] {
        has(&text, line);
    }
    // The breaker's family has no series until an Odoo connector says its state.
    assert!(!text.contains("wharf_odoo_circuit_state{"), "{text}");
}

#[test]
fn transfers_and_sftp_sessions_are_counted_by_bounded_labels() {
    let m = Metrics::new();
    m.sftp_login(LoginMethod::Key, LoginOutcome::Refused);
    m.sftp_login(LoginMethod::Key, LoginOutcome::Accepted);
    m.sftp_session_opened("acme");
    m.sftp_session_opened("acme");
    m.sftp_session_closed("acme");
    m.sftp_file("acme", SftpDirection::Received, 300);
    m.sftp_file("acme", SftpDirection::Sent, 90);
    m.transfer_done("pinnacle", TransferDirection::Collect, "ftp", 468);
    m.transfer_done("pinnacle", TransferDirection::Collect, "ftp", 32);
    m.transfer_failed("pinnacle", TransferDirection::Deliver, "sftp", "login");
    let text = m.encode(&AtScrape::default()).unwrap();
    for line in [
        "wharf_sftp_logins_total{method=\"key\",outcome=\"refused\"} 1",
        "wharf_sftp_logins_total{method=\"key\",outcome=\"accepted\"} 1",
        "wharf_sftp_sessions_opened_total{partner=\"acme\"} 2",
        "wharf_sftp_sessions_active{partner=\"acme\"} 1",
        "wharf_sftp_files_total{partner=\"acme\",direction=\"received\"} 1",
        "wharf_sftp_bytes_total{partner=\"acme\",direction=\"sent\"} 90",
        "wharf_transfers_total{partner=\"pinnacle\",direction=\"collect\",protocol=\"ftp\",outcome=\"ok\"} 2",
        "wharf_transfer_bytes_total{partner=\"pinnacle\",direction=\"collect\",protocol=\"ftp\"} 500",
        "wharf_transfers_total{partner=\"pinnacle\",direction=\"deliver\",protocol=\"sftp\",outcome=\"login\"} 1",
    ] {
        has(&text, line);
    }
}

#[test]
fn the_breaker_state_is_one_hot() {
    let m = Metrics::new();
    m.odoo_circuit(CircuitState::Closed);
    m.odoo_circuit(CircuitState::Open);
    let text = m.encode(&AtScrape::default()).unwrap();
    has(&text, "wharf_odoo_circuit_state{state=\"open\"} 1");
    has(&text, "wharf_odoo_circuit_state{state=\"closed\"} 0");
    has(&text, "wharf_odoo_circuit_state{state=\"half_open\"} 0");
}

#[test]
fn scrape_time_gauges_replace_the_last_scrapes_and_take_the_soonest_certificate() {
    let m = Metrics::new();
    let cert = |partner: &str, role, days_left| CertificateExpiry {
        partner: partner.into(),
        role,
        days_left,
    };
    let overdue = |partner: &str, awaiting, count| Overdue {
        partner: partner.into(),
        awaiting,
        count,
    };
    let first = AtScrape {
        overdue: vec![
            overdue("acme", Awaiting::OrderAck, 2),
            overdue("acme", Awaiting::PartnerAck, 0),
            overdue("gone", Awaiting::OrderAck, 1),
        ],
        certificates: vec![
            cert("globex", "partner_as2", 400),
            cert("globex", "partner_as2", 5),
            cert("wharf", "as2", 700),
        ],
        ..AtScrape::default()
    };
    let text = m.encode(&first).unwrap();
    for line in [
        "wharf_acknowledgements_overdue{partner=\"acme\",awaiting=\"order_ack\"} 2",
        "wharf_acknowledgements_overdue{partner=\"acme\",awaiting=\"partner_ack\"} 0",
        "wharf_acknowledgements_overdue{partner=\"gone\",awaiting=\"order_ack\"} 1",
        "wharf_certificate_expiry_days{partner=\"globex\",role=\"partner_as2\"} 5",
        "wharf_certificate_expiry_days{partner=\"wharf\",role=\"as2\"} 700",
    ] {
        has(&text, line);
    }
    // The next scrape no longer names `gone` nor the expiring certificate.
    let second = AtScrape {
        overdue: vec![overdue("acme", Awaiting::OrderAck, 0)],
        certificates: vec![cert("globex", "partner_as2", 400)],
        ..AtScrape::default()
    };
    let text = m.encode(&second).unwrap();
    has(
        &text,
        "wharf_acknowledgements_overdue{partner=\"acme\",awaiting=\"order_ack\"} 0",
    );
    has(
        &text,
        "wharf_certificate_expiry_days{partner=\"globex\",role=\"partner_as2\"} 400",
    );
    assert!(!text.contains("partner=\"gone\""), "{text}");
    assert!(!text.contains("role=\"as2\""), "{text}");
}

#[test]
fn event_deliveries_by_sink_and_outcome_and_backlogs_replaced_per_scrape() {
    let m = Metrics::new();
    // Configured subscribers are written at zero before their first attempt.
    m.event_sinks(["bi", "nats"]);
    m.event_delivery("bi", EventOutcome::Delivered);
    m.event_delivery("bi", EventOutcome::Delivered);
    m.event_delivery("nats", EventOutcome::Dead);
    m.events_pruned(3);
    let sink = |name: &str, undelivered, age, dead| EventSink {
        sink: name.into(),
        undelivered,
        oldest_undelivered_seconds: age,
        dead_letters: dead,
    };
    let text = m
        .encode(&AtScrape {
            event_sinks: vec![sink("bi", 4, 12.5, 0), sink("old-hook", 0, 0.0, 2)],
            ..AtScrape::default()
        })
        .unwrap();
    for line in [
        "wharf_event_deliveries_total{sink=\"bi\",outcome=\"delivered\"} 2",
        "wharf_event_deliveries_total{sink=\"bi\",outcome=\"failed\"} 0",
        "wharf_event_deliveries_total{sink=\"nats\",outcome=\"dead\"} 1",
        "wharf_event_deliveries_total{sink=\"nats\",outcome=\"delivered\"} 0",
        "wharf_events_pruned_total 3",
        "wharf_event_deliveries_undelivered{sink=\"bi\"} 4",
        "wharf_event_oldest_undelivered_seconds{sink=\"bi\"} 12.5",
        "wharf_event_dead_letters{sink=\"old-hook\"} 2",
    ] {
        has(&text, line);
    }
    // A sink no longer handed in is dropped, not left at its last value.
    let text = m
        .encode(&AtScrape {
            event_sinks: vec![sink("bi", 0, 0.0, 0)],
            ..AtScrape::default()
        })
        .unwrap();
    has(&text, "wharf_event_deliveries_undelivered{sink=\"bi\"} 0");
    assert!(!text.contains("old-hook"), "{text}");
}

#[test]
fn nothing_is_recorded_when_off() {
    let m = Metrics::off();
    m.sftp_session_opened("acme");
    m.transfer_done("pinnacle", TransferDirection::Deliver, "ftp", 1);
    m.odoo_circuit(CircuitState::Open);
    let text = m.encode(&AtScrape::default()).unwrap();
    assert!(!text.contains("partner=\"acme\""), "{text}");
    assert!(!text.contains("wharf_transfers_total{"), "{text}");
    assert!(!text.contains("wharf_odoo_circuit_state{"), "{text}");
}

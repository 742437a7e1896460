//! The tables, in the portable subset of SQL types that both backends share (docs/design.md §2).
//! Kept by hand; `schema_rs_matches_the_migrated_database` in `tests/api/migrations.rs` (run as
//! `::sqlite` and `::postgres`) migrates a fresh database on each backend and fails on any table,
//! column, nullability, type family or primary key that differs from what is declared here.

diesel::table! {
    oauth_apps (id) {
        id -> Text,
        kind -> Text,
        client_id -> Text,
        client_secret -> Binary,
        webhook_secret -> Binary,
        previous_webhook_secret -> Nullable<Binary>,
        previous_webhook_secret_expires_at -> Nullable<Timestamp>,
        account_id -> Nullable<Text>,
        webhook_last_validation -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        client_secret_refused_at -> Nullable<Timestamp>,
        cloud -> Text,
        name -> Nullable<Text>,
    }
}

diesel::table! {
    credentials (id) {
        id -> Text,
        app_id -> Text,
        subject -> Text,
        zoom_user_id -> Text,
        account_id -> Text,
        email -> Nullable<Text>,
        scopes -> Text,
        refresh_token -> Nullable<Binary>,
        access_token -> Nullable<Binary>,
        access_token_expires_at -> Nullable<Timestamp>,
        status -> Text,
        status_detail -> Nullable<Text>,
        meeting_sync_status -> Text,
        last_synced_at -> Nullable<Timestamp>,
        last_refreshed_at -> Nullable<Timestamp>,
        pmi -> Nullable<BigInt>,
        vanity_name -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        refresh_lease_owner -> Nullable<Text>,
        refresh_lease_until -> Nullable<Timestamp>,
        sync_lease_owner -> Nullable<Text>,
        sync_lease_until -> Nullable<Timestamp>,
        sync_tick -> Nullable<Timestamp>,
        connected_at -> Nullable<Timestamp>,
        delete_requested_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    meeting_mappings (meeting_id, credential_id) {
        meeting_id -> BigInt,
        credential_id -> Text,
        host_user_id -> Text,
        source -> Text,
        synced_at -> Timestamp,
        event_ts -> Nullable<BigInt>,
        kind -> Text,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> BigInt,
        app_id -> Text,
        dedupe_key -> Text,
        event -> Text,
        event_ts -> BigInt,
        payload -> Text,
        status -> Text,
        outcome -> Nullable<Text>,
        received_at -> Timestamp,
        applied_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    credential_logs (id) {
        id -> BigInt,
        credential_id -> Text,
        level -> Text,
        message -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oauth_states (state) {
        state -> Text,
        app_id -> Text,
        code_verifier -> Binary,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    zoom_users (user_id) {
        user_id -> Text,
        account_id -> Text,
        email -> Nullable<Text>,
        pmi -> Nullable<BigInt>,
        vanity_name -> Nullable<Text>,
        event_ts -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    meeting_tombstones (meeting_id) {
        meeting_id -> BigInt,
        event_ts -> BigInt,
        deleted_at -> Timestamp,
    }
}

diesel::table! {
    sync_runs (id) {
        id -> BigInt,
        credential_id -> Text,
        tick -> Nullable<Timestamp>,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        status -> Text,
        pages -> BigInt,
        users_seen -> BigInt,
        meetings_seen -> BigInt,
        added -> BigInt,
        removed -> BigInt,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    replicas (id) {
        id -> Text,
        started_at -> Timestamp,
        last_seen -> Timestamp,
    }
}

diesel::table! {
    rate_slots (account_id, category) {
        account_id -> Text,
        category -> Text,
        slots -> Text,
    }
}

diesel::table! {
    resolution_changes (id) {
        id -> BigInt,
        changes -> BigInt,
    }
}

diesel::table! {
    console_signouts (nonce) {
        nonce -> Text,
        expires_at -> Timestamp,
        signed_out_at -> Timestamp,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        url -> Text,
        description -> Nullable<Text>,
        event_types -> Text,
        secret -> Binary,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    outbound_events (id) {
        id -> Text,
        event_type -> Text,
        order_key -> Text,
        dedupe_key -> Nullable<Text>,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        event_id -> Text,
        endpoint_id -> Text,
        order_key -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> BigInt,
    }
}

diesel::joinable!(credentials -> oauth_apps (app_id));
diesel::joinable!(sync_runs -> credentials (credential_id));
diesel::joinable!(oauth_states -> oauth_apps (app_id));
diesel::joinable!(meeting_mappings -> credentials (credential_id));
diesel::joinable!(credential_logs -> credentials (credential_id));
diesel::joinable!(webhook_deliveries -> outbound_events (event_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    oauth_apps,
    credentials,
    meeting_mappings,
    webhook_events,
    credential_logs,
    oauth_states,
    zoom_users,
    meeting_tombstones,
    sync_runs,
    replicas,
    rate_slots,
    resolution_changes,
    console_signouts,
    webhook_endpoints,
    outbound_events,
    webhook_deliveries,
    webhook_attempts,
);

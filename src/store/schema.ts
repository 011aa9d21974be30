// Table shapes as Kysely sees them. Timestamps are ISO-8601 text and booleans are 0/1 integers
// on both databases, so every query behaves the same on SQLite and PostgreSQL.
import type { Generated } from 'kysely';

export interface OrganizationTable {
  id: string;
  code: string;
  kind: string;
  name: string;
  parent_id: string | null;
  registration_authority_id: string | null;
  path: string; // materialised ancestry "/rootId/.../id/" for subtree scope checks
  insee_code: string | null;
  siren: string | null;
  address_line: string | null;
  postal_code: string | null;
  city: string | null;
  status: string;
  trusted_roles_suspended: number;
  created_at: string;
  updated_at: string;
}

export interface AgentTable {
  id: string;
  organization_id: string;
  identifier: string;
  identifier_kind: string;
  last_name: string;
  first_names: string;
  sex: string;
  birth_date: string;
  birth_place: string;
  email: string | null;
  phone: string | null;
  unit_address: string | null;
  staff_status: string;
  category: string | null;
  profile: string | null;
  habilitations: string; // JSON array of client application codes
  status: string; // active | inactive | purged (personal data erased by the retention pass)
  identity_verified: number;
  directory_record: number;
  has_photo: number;
  source: string; // hr_feed | manual | demo
  feed_fingerprint: string | null;
  last_import_id: string | null;
  search_text: string;
  /** Name order (agent-search.ts nameSortText); null for a row written without it (listed last). */
  sort_name: string | null;
  created_at: string;
  updated_at: string;
}

export interface AgentPhotoTable {
  agent_id: string;
  jpeg: Uint8Array;
  width: number;
  height: number;
  size: number;
  uploaded_by: string | null;
  uploaded_at: string;
}

export interface RoleAssignmentTable {
  id: string;
  agent_id: string;
  role: string;
  organization_id: string;
  granted_by: string | null;
  granted_at: string;
  revoked_at: string | null;
}

export interface AgreementTable {
  id: string;
  organization_id: string;
  signed_on: string;
  ends_on: string;
  mayor_name: string;
  status: string; // active | notice | suspended | terminated
  notice_given_on: string | null;
  created_at: string;
  updated_at: string;
}

export interface AgreementDelegateTable {
  agreement_id: string;
  agent_id: string;
}

export interface SelfAssessmentTable {
  id: string;
  organization_id: string;
  assessed_on: string;
  answers: string; // JSON: { [controlPointCode]: { conform: boolean, major: boolean, comment } }
  result: string; // conform | minor | major
  recorded_by: string | null;
  lifted_at: string | null;
  lifted_by: string | null;
  created_at: string;
}

export interface AllocationPlanEntryTable {
  id: string;
  organization_id: string;
  agent_id: string;
  year: number;
  reason: string | null;
  created_at: string;
}

export interface AuditTable {
  seq: number;
  at: string;
  actor_id: string | null;
  actor_role: string | null;
  organization_id: string | null;
  action: string;
  outcome: string; // ok | refused
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  summary: string; // JSON before/after summary
  evidence: string; // JSON array of references
  prev_hash: string;
  hash: string;
  /** Tombstone (008): content erased by the retention pass, link kept, MAC under the audit key. */
  purged_at: string | null;
  purge_mac: string | null;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  /** HMAC of (seq, hash) under the audit key: the tail cannot be cut and the head rewritten without it. */
  mac: string;
}

export interface SignInLinkTable {
  token_hash: string;
  agent_id: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  created_by: string | null;
}

export interface SessionTable {
  id_hash: string;
  agent_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface ServiceTokenTable {
  id: string;
  name: string;
  token_hash: string;
  organization_id: string;
  scopes: string; // JSON array
  created_by: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface JobTable {
  id: string;
  kind: string;
  payload: string;
  status: string; // pending | running | done | failed
  run_at: string;
  attempts: number;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
  last_attempt_at: string | null; // 008
}

export interface MailTable {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  transport: string; // file | smtp
  file_name: string | null;
  status: string; // queued | sent | failed
  created_at: string;
  sent_at: string | null;
  error: string | null;
  /** Set while one worker delivers the mail (008): a second worker leaves it alone. */
  sending_since: string | null;
}

export interface ImportRunTable {
  id: string;
  organization_id: string;
  file_name: string;
  format: string;
  full_mode: number;
  status: string; // running | done | refused | failed
  total: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  deactivated: number;
  bytes_total: number | null;
  bytes_read: number;
  message: string | null;
  started_by: string | null;
  started_at: string;
  finished_at: string | null;
  /** Process running the import (host/pid/start) and its last sign of life (008). */
  owner: string | null;
  heartbeat_at: string | null;
}

export interface ImportRejectTable {
  id: Generated<number>;
  import_id: string;
  line: number;
  field: string;
  reason: string;
}

export interface CertificationAuthorityTable {
  id: string;
  name: string; // slug, unique: 'root', 'collectivites', 'collectivites-ocsp', ...
  label: string; // French
  kind: string; // root | issuing | ocsp
  parent_id: string | null;
  subject_dn: string;
  certificate_der: Uint8Array;
  key_ref: string; // JSON KeyRef (pki/keystore.ts) plus custody facts; never key material
  not_before: string;
  not_after: string;
  crl_number: number;
  status: string; // active | retired | revoked (by the root, listed in its CRL)
  created_at: string;
  revoked_at?: string | null;
  revocation_reason?: string | null; // RFC 5280 name
  /** Issuing CA: seed | etsi-natural-person (profiles.ts SubjectForm); default seed. */
  subject_form?: string;
}

/** A CRL of an offline CA (the root), signed at a ceremony; the newest one is served. */
export interface OfflineCrlTable {
  ca_id: string;
  crl_number: number;
  der: Uint8Array;
  this_update: string;
  next_update: string;
  entries: number;
  created_at: string;
}

export interface CertificateTable {
  serial: string; // lower-case hex, primary key
  ca_id: string;
  profile: string; // auth | sign | enc
  agent_id: string | null;
  card_id: string | null;
  subject_dn: string;
  der: Uint8Array;
  sha256: string; // hex of the DER
  not_before: string;
  not_after: string;
  status: string; // issued | valid | suspended | revoked | expired
  revoked_at: string | null;
  revocation_reason: string | null; // RFC 5280 name (domain/certificate-status.ts)
  status_changed_at: string;
  created_at: string;
  /** keyCompromise: the date from which the key is known or suspected compromised (CRL invalidityDate). */
  invalidity_date?: string | null;
}

/** Append-only log of certificate status changes (and issuances): responders follow it by id. */
export interface CertificateStatusChangeTable {
  id: Generated<number>;
  serial: string;
  ca_id: string;
  changed_at: string;
}

/** The pre-signed OCSP answer of a certificate (SHA-1 CertID, no nonce), shared by every responder. */
export interface OcspResponseTable {
  serial: string;
  ca_id: string;
  /** The OCSP responder (certification_authorities.id) that signed it. */
  responder_id: string;
  der: Uint8Array;
  this_update: string;
  next_update: string;
  /** When the background signer signs it again (before nextUpdate). */
  refresh_at: string;
  /** Id of the last status change (certificate_status_changes.id) this answer reflects. */
  change_id: number;
}

/** One row (id 1): the background signer's lease and the change it has signed up to. */
export interface OcspSignerTable {
  id: number;
  lease_owner: string | null;
  lease_until: string | null;
  change_cursor: number;
}

export interface CardModelTable {
  id: string;
  code: string;
  label: string; // French, as in the sources
  population: string; // collectivites | etat | armees: the issuing CA
  kind: string; // personalizable | instant
  profiles: string; // JSON array of auth | sign | enc
  card_years: number;
  status: string; // active | retired
  created_at: string;
}

export interface RequestBatchTable {
  id: string;
  number: string;
  organization_id: string;
  state: string; // domain/card-request.ts BATCH_STATES
  created_by: string | null;
  validated_by: string | null;
  validated_at: string | null;
  sent_at: string | null;
  acknowledged_at: string | null;
  closed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CardRequestTable {
  id: string;
  number: string;
  agent_id: string;
  organization_id: string; // the agent's organisation
  model_id: string;
  kind: string; // first_issue | renewal | replacement | instant
  reason: string | null;
  state: string; // domain/card-request.ts REQUEST_STATES
  billing: string; // free | billed
  price_cents: number;
  batch_id: string | null;
  replaces_card_id: string | null;
  card_id: string | null;
  created_by: string | null;
  signed_by: string | null;
  signed_at: string | null;
  rejection_reason: string | null;
  created_at: string;
  updated_at: string;
  billing_reason: string | null; // French, why free or billed (004_requests)
  prerequisites: string | null; // JSON Prerequisite[] as last checked
  cancelled_by: string | null;
  cancelled_at: string | null;
  cancel_reason: string | null;
}

/** Number series ("card_request:2026" → last number drawn). */
export interface NumberCounterTable {
  name: string;
  value: number;
}

export interface BillingEntryTable {
  id: string;
  organization_id: string;
  request_id: string;
  agent_id: string;
  label: string;
  amount_cents: number;
  created_at: string;
}

export interface CardTable {
  id: string;
  serial: string; // card number, 10 digits
  model_id: string;
  agent_id: string; // holder
  organization_id: string; // holder's organisation
  operator_organization_id: string; // where the card is shipped and handed over
  request_id: string | null;
  batch_id: string | null;
  state: string; // domain/card-lifecycle.ts CARD_STATES
  state_changed_at: string;
  letter_state: string | null; // printed | sent | resent_post | resent_email
  letter_sent_at: string | null;
  letter_reference: string | null; // reference of the letter printed by the manufacturer
  activation_code_hash: string | null;
  activation_code_attempts: number;
  activation_code_used_at: string | null;
  file_name: string | null; // virtual card file, relative to <data>/cards
  produced_at: string | null;
  shipped_at: string | null;
  received_at: string | null;
  received_by: string | null;
  expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ManufacturerMessageTable {
  id: string; // the message's own id: processing the same message twice changes nothing
  kind: string; // order | acknowledgement | rejection | production | shipping
  direction: string; // out | in
  batch_id: string | null;
  sha256: string;
  file_name: string;
  status: string; // written | processed | refused
  message: string | null;
  created_at: string;
}

export interface ChallengeTable {
  id: string;
  purpose: string; // sign_in | action
  value_hash: string;
  agent_id: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface CardDocumentTable {
  id: string;
  card_id: string;
  kind: string; // identity_copy | attestation | destruction_record | loss_report | police_report
  file_name: string;
  content_type: string;
  bytes: Uint8Array;
  sha256: string;
  uploaded_by: string | null;
  created_at: string;
}

export interface CardHandoverTable {
  card_id: string;
  operator_id: string;
  identity_document_type: string;
  identity_document_number: string;
  remarks: string | null;
  handed_over_at: string;
}

export interface CardActivationTable {
  card_id: string;
  operator_id: string;
  code_checked_at: string | null;
  /** Until when the server answers the card's administration challenges to set the PINs. */
  window_until: string | null;
  completed_at: string | null;
  refused_at: string | null;
  finalized_at: string | null;
  finalized_by: string | null;
  created_at: string;
}

export interface HolderSecretsTable {
  agent_id: string;
  personal_code_hash: string; // Argon2id
  answers: string; // JSON [{ question, hash }] (Argon2id, exact case)
  failed_attempts: number;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
}

/** Issuing-CA and OCSP responder keys, encrypted under the KEK (same text as a key file). */
export interface ServiceKeyTable {
  label: string;
  algorithm: string;
  key_text: string;
  created_at: string;
}

export interface PublishedCrlTable {
  ca_id: string;
  crl_number: number;
  status: string; // writing | published
  this_update: string;
  next_update: string;
  entries: number;
  size: number;
  sha256: string | null;
  published_by: string | null;
  created_at: string;
}

export interface PublishedCrlChunkTable {
  ca_id: string;
  crl_number: number;
  part: number;
  bytes: Uint8Array;
}

export interface TaskRunTable {
  task: string;
  slot: string;
  owner: string;
  status: string; // running | done | failed
  started_at: string;
  lease_until: string;
  finished_at: string | null;
  result: string | null;
  error: string | null;
}

export interface IdempotencyKeyTable {
  key: string;
  created_at: string;
}

export interface OperationsJournalTable {
  id: string;
  at: string;
  kind: string; // backup | verify | restore | prune | retention | check
  status: string; // ok | failed
  reason: string | null;
  actor_id: string | null;
  backup_id: string | null;
  location: string | null;
  summary: string; // JSON
  checked_at: string | null;
  checked_by: string | null;
  check_note: string | null;
}

// Back office of a processing centre (seed 003, migration 011).

export interface BackofficeCentreTable {
  organization_id: string;
  serves_organization_id: string;
  created_at: string;
}

export interface BackofficeOfficeTable {
  organization_id: string;
  centre_id: string;
  code: string;
  function: string; // liaison | processing | methods
  email: string | null;
  created_at: string;
}

export interface CaseFileKindTable {
  code: string;
  family: string; // card | unit
  label: string;
  definition: string; // JSON CaseKindDefinition
  source: string; // file | admin
  file_hash: string | null;
  version: number;
  updated_by: string | null;
  updated_at: string;
}

export interface TransmittalSlipTable {
  id: string;
  number: string;
  centre_id: string;
  sending_organization_id: string;
  unit_reference: string;
  slip_date: string;
  received_at: string;
  contact_name: string | null;
  contact_phone: string | null;
  contact_email: string | null;
  file_count: number;
  registered_by: string | null;
  created_at: string;
}

export interface CaseFileTable {
  id: string;
  number: string;
  kind_code: string;
  family: string;
  centre_id: string;
  office_id: string | null;
  sending_organization_id: string;
  delegating_authority_id: string | null;
  slip_id: string | null;
  agent_id: string | null;
  person_name: string;
  person_identifier: string | null;
  unit_reference: string | null;
  card_request_id: string | null;
  card_id: string | null;
  status: string; // domain/case-file.ts CASE_FILE_STATUSES
  priority: string; // normal | relative | absolute
  priority_note: string | null;
  received_at: string;
  registered_at: string | null;
  due_on: string | null;
  routed_at: string | null;
  taken_by: string | null;
  taken_at: string | null;
  deferred_at: string | null;
  deferred_reason: string | null;
  unit_notified_at: string | null;
  processed_at: string | null;
  processed_by: string | null;
  processed_office_id: string | null;
  outcome: string | null;
  amount_cents: number | null;
  movement_reference: string | null;
  self_checked_at: string | null;
  self_checked_by: string | null;
  transferred_at: string | null;
  transfer_reference: string | null;
  archived_at: string | null;
  returned_at: string | null;
  return_reasons: string | null; // JSON string[]
  controlled_at: string | null; // the control mark (seed 003 §4.3.2)
  controlled_by: string | null;
  control_stamp: string | null;
  status_changed_at: string;
  created_at: string;
  updated_at: string;
}

export interface CaseFilePieceTable {
  id: string;
  case_file_id: string;
  code: string;
  label: string;
  listed: number;
  state: string; // expected | present | missing | obtained
  note: string | null;
  file_name: string | null;
  content_type: string | null;
  bytes: Uint8Array | null;
  size: number | null;
  sha256: string | null;
  source_ref: string | null;
  attached_by: string | null;
  attached_at: string | null;
  checked_by: string | null;
  checked_at: string | null;
}

export interface CaseFileCheckTable {
  case_file_id: string;
  code: string;
  label: string;
  state: string; // pending | ok | failed | resolved
  reason: string | null;
  checked_by: string | null;
  checked_at: string | null;
}

export interface CaseFileEventTable {
  seq: Generated<number>;
  case_file_id: string;
  at: string;
  type: string;
  actor_id: string | null;
  office_id: string | null;
  data: string; // JSON
}

export interface CaseFileLetterTable {
  id: string;
  case_file_id: string;
  kind: string;
  pdf: Uint8Array;
  sha256: string;
  created_by: string | null;
  created_at: string;
}

export interface ArchiveTransferTable {
  id: string;
  number: string;
  centre_id: string;
  destination: string;
  reference: string | null;
  file_count: number;
  transferred_by: string | null;
  transferred_at: string;
}

export interface ArchiveEntryTable {
  case_file_id: string;
  centre_id: string;
  location_kind: string; // box | digital
  box: string | null;
  shelf: string | null;
  reference: string | null;
  archived_by: string | null;
  archived_at: string;
  transfer_id: string | null;
}

export interface AgeingReportTable {
  id: string;
  centre_id: string;
  period: string | null;
  as_of: string;
  days: number;
  totals: string; // JSON
  file_count: number;
  generated_by: string | null;
  analysis: string | null;
  measures: string | null;
  analysed_by: string | null;
  analysed_at: string | null;
  created_at: string;
}

/** Agents per organisation and status, maintained by triggers (migration 010). */
export interface DirectoryCountTable {
  organization_id: string;
  status: string;
  agents: number;
}

export interface SteeringDailyTable {
  scope_id: string;
  day: string;
  metric: string;
  dim: string;
  n: number;
  total: number;
}

export interface SteeringEntryTable {
  centre_id: string;
  month: string;
  figures: string; // JSON domain/steering.ts MonthlyEntry
  entered_by: string | null;
  entered_at: string;
}

export interface SteeringThresholdTable {
  scope_id: string;
  indicator: string;
  threshold: number;
  set_by: string | null;
  set_at: string;
}

export interface SteeringAlertTable {
  scope_id: string;
  month: string;
  indicator: string;
  value: number;
  threshold: number;
  raised_at: string;
}

export interface SteeringRefreshTable {
  name: string;
  refreshed_at: string;
  from_day: string;
}

export interface SteeringArchiveTable {
  id: string;
  scope_id: string;
  month: string;
  csv: string;
  pdf: Uint8Array;
  sha256: string;
  created_at: string;
}

export interface Database {
  organizations: OrganizationTable;
  agents: AgentTable;
  agent_photos: AgentPhotoTable;
  role_assignments: RoleAssignmentTable;
  agreements: AgreementTable;
  agreement_delegates: AgreementDelegateTable;
  self_assessments: SelfAssessmentTable;
  allocation_plan_entries: AllocationPlanEntryTable;
  audit_log: AuditTable;
  audit_head: AuditHeadTable;
  sign_in_links: SignInLinkTable;
  sessions: SessionTable;
  service_tokens: ServiceTokenTable;
  jobs: JobTable;
  mails: MailTable;
  import_runs: ImportRunTable;
  import_rejects: ImportRejectTable;
  certification_authorities: CertificationAuthorityTable;
  offline_crls: OfflineCrlTable;
  certificates: CertificateTable;
  certificate_status_changes: CertificateStatusChangeTable;
  ocsp_responses: OcspResponseTable;
  ocsp_signer: OcspSignerTable;
  card_models: CardModelTable;
  request_batches: RequestBatchTable;
  card_requests: CardRequestTable;
  billing_entries: BillingEntryTable;
  number_counters: NumberCounterTable;
  cards: CardTable;
  manufacturer_messages: ManufacturerMessageTable;
  challenges: ChallengeTable;
  card_documents: CardDocumentTable;
  card_handovers: CardHandoverTable;
  card_activations: CardActivationTable;
  holder_secrets: HolderSecretsTable;
  steering_daily: SteeringDailyTable;
  steering_entries: SteeringEntryTable;
  steering_thresholds: SteeringThresholdTable;
  steering_alerts: SteeringAlertTable;
  steering_refresh: SteeringRefreshTable;
  steering_archive: SteeringArchiveTable;
  service_keys: ServiceKeyTable;
  published_crls: PublishedCrlTable;
  published_crl_chunks: PublishedCrlChunkTable;
  task_runs: TaskRunTable;
  idempotency_keys: IdempotencyKeyTable;
  operations_journal: OperationsJournalTable;
  backoffice_centres: BackofficeCentreTable;
  backoffice_offices: BackofficeOfficeTable;
  case_file_kinds: CaseFileKindTable;
  transmittal_slips: TransmittalSlipTable;
  case_files: CaseFileTable;
  case_file_pieces: CaseFilePieceTable;
  case_file_checks: CaseFileCheckTable;
  case_file_events: CaseFileEventTable;
  case_file_letters: CaseFileLetterTable;
  archive_transfers: ArchiveTransferTable;
  archive_entries: ArchiveEntryTable;
  ageing_reports: AgeingReportTable;
  control_plans: ControlPlanTable;
  control_plan_lines: ControlPlanLineTable;
  controls: ControlTable;
  control_sheets: ControlSheetTable;
  control_syntheses: ControlSynthesisTable;
  control_transmissions: ControlTransmissionTable;
  directory_counts: DirectoryCountTable;
}

// Internal control (seed 003 §4), migration 012.
export interface ControlPlanTable {
  id: string;
  centre_id: string;
  type: string; // monthly | deontological
  period: string;
  seed: string;
  note: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  drawn_by: string | null;
  drawn_at: string | null;
}

export interface ControlPlanLineTable {
  id: string;
  plan_id: string;
  kind_code: string;
  office_id: string | null;
  error_potential: number;
  amount_stakes: number;
  last_month_controls: number;
  last_month_anomalies: number;
  suggested: number;
  objective: number;
  note: string | null;
}

export interface ControlTable {
  id: string;
  centre_id: string;
  plan_id: string;
  line_id: string | null;
  case_file_id: string;
  origin: string;
  status: string;
  added_by: string | null;
  added_at: string;
  controller_id: string | null;
  controlled_at: string | null;
  verdicts: string | null;
  anomaly: number | null;
  amount_cents: number | null;
}

export interface ControlSheetTable {
  id: string;
  number: string;
  centre_id: string;
  control_id: string;
  case_file_id: string;
  office_id: string | null;
  kind_code: string;
  period: string;
  object: string;
  rule: string;
  findings: string;
  amount_cents: number | null;
  status: string;
  opened_by: string;
  opened_at: string;
  bom_visa_by: string | null;
  bom_visa_at: string | null;
  bom_visa_note: string | null;
  follow_up: string | null;
  followed_up_by: string | null;
  followed_up_at: string | null;
  centre_visa_by: string | null;
  centre_visa_at: string | null;
  centre_visa_note: string | null;
  archived_by: string | null;
  archived_at: string | null;
  updated_at: string;
}

export interface ControlSynthesisTable {
  id: string;
  centre_id: string;
  period: string;
  recurrence_months: number;
  content: string;
  pdf: Uint8Array;
  sha256: string;
  created_by: string | null;
  created_at: string;
}

export interface ControlTransmissionTable {
  id: string;
  number: string;
  centre_id: string;
  case_file_id: string;
  control_id: string | null;
  recipient_organization_id: string;
  grounds: string;
  pdf: Uint8Array;
  sha256: string;
  created_by: string | null;
  created_at: string;
}

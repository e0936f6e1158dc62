/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An ISO-8601 UTC instant, e.g. "2026-11-25T10:00:00.000Z". */
  DateTime: { input: string; output: string; }
  /** An exact decimal number as a string, e.g. "12.345678"; never a float. */
  Decimal: { input: string; output: string; }
};

export type AddSubAccountInput = {
  agencyId: Scalars['ID']['input'];
  /** true: no markup at all */
  applyBasePrice?: InputMaybe<Scalars['Boolean']['input']>;
  loginEmail: Scalars['String']['input'];
  /** $ per minute; the agency default when omitted */
  markupBasic?: InputMaybe<Scalars['Decimal']['input']>;
  markupPremium?: InputMaybe<Scalars['Decimal']['input']>;
  name: Scalars['String']['input'];
  /** Billing cycle anchor; now when omitted */
  subscriptionStartedAt?: InputMaybe<Scalars['DateTime']['input']>;
};

export type AddSubAccountPayload = {
  __typename?: 'AddSubAccountPayload';
  subAccount?: Maybe<SubAccount>;
  userErrors: Array<UserError>;
};

export type AdjustWalletBalanceInput = {
  /** Signed: credit when positive, debit when negative */
  amount: Scalars['Decimal']['input'];
  idempotencyKey: Scalars['String']['input'];
  reason: Scalars['String']['input'];
  subAccountId: Scalars['ID']['input'];
};

export type AdjustWalletBalancePayload = {
  __typename?: 'AdjustWalletBalancePayload';
  transfer?: Maybe<Transfer>;
  userErrors: Array<UserError>;
};

/** A reseller: one primary sub-account and its clients. */
export type Agency = Node & {
  __typename?: 'Agency';
  createdAt: Scalars['DateTime']['output'];
  /** Flat $ per minute added to the base price unless a sub-account overrides it */
  defaultMarkup: Money;
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  plan: Plan;
  /** Next monthly renewal, anchored on the plan start date */
  planRenewsAt: Scalars['DateTime']['output'];
  primarySubAccount: SubAccount;
  /** Markup earned and paid out; all time without a range */
  profit: AgencyProfit;
  /** Sub-accounts that can still be added; null: no cap */
  subAccountSlotsRemaining?: Maybe<Scalars['Int']['output']>;
  /** Oldest first, the primary included */
  subAccounts: SubAccountConnection;
  /** Minutes of every sub-account, the primary and removed ones included, in the range; all time without one */
  totalMinutesUsed: Scalars['Decimal']['output'];
  /** Totals and one row per sub-account, from rollups: any range is exact */
  usageReport: UsageReport;
};


/** A reseller: one primary sub-account and its clients. */
export type AgencyDefaultMarkupArgs = {
  tier: MinuteTier;
};


/** A reseller: one primary sub-account and its clients. */
export type AgencyProfitArgs = {
  range?: InputMaybe<DateRangeInput>;
};


/** A reseller: one primary sub-account and its clients. */
export type AgencySubAccountsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
  status?: InputMaybe<SubAccountStatus>;
};


/** A reseller: one primary sub-account and its clients. */
export type AgencyTotalMinutesUsedArgs = {
  range?: InputMaybe<DateRangeInput>;
};


/** A reseller: one primary sub-account and its clients. */
export type AgencyUsageReportArgs = {
  range: DateRangeInput;
};

export type AgencyConnection = {
  __typename?: 'AgencyConnection';
  edges: Array<AgencyEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type AgencyEdge = {
  __typename?: 'AgencyEdge';
  cursor: Scalars['String']['output'];
  node: Agency;
};

/** Anything that happened in an agency's account. */
export type AgencyEvent = {
  __typename?: 'AgencyEvent';
  agency: Agency;
  /** For balance events and threshold crossings */
  balanceEvent?: Maybe<BalanceEvent>;
  occurredAt: Scalars['DateTime']['output'];
  sequence: Scalars['String']['output'];
  subAccount?: Maybe<SubAccount>;
  /** SUB_ACCOUNT_ADDED, SUB_ACCOUNT_UPDATED, SUB_ACCOUNT_REMOVED, SUB_ACCOUNT_RESTORED, BALANCE_CHANGED, USAGE_RECORDED, LOW_BALANCE, BALANCE_DEPLETED, BALANCE_RECOVERED */
  type: Scalars['String']['output'];
  /** For USAGE_RECORDED */
  usageEvent?: Maybe<UsageEvent>;
};

/** Earned profit: minutes its clients bought × the markup at purchase time, booked in the ledger with each purchase; payouts draw it down. Not the consumed markup of usage reports (UsageSummary.profit). */
export type AgencyProfit = {
  __typename?: 'AgencyProfit';
  /** Markup earned in the range (all time without one) */
  earned: Money;
  /** Paid out in the range (all time without one) */
  paidOut: Money;
  /** Unpaid profit at which a payout is made */
  payoutThreshold: Money;
  /** Earned and not yet paid out, now */
  pendingPayout: Money;
};

/** A credential; its secret is shown once, at creation. */
export type ApiKey = Node & {
  __typename?: 'ApiKey';
  agency?: Maybe<Agency>;
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  role: Role;
  subAccount?: Maybe<SubAccount>;
};

/** Charges the saved card when the wallet falls below a threshold. */
export type AutoRecharge = {
  __typename?: 'AutoRecharge';
  /** Disabled automatically after 3 failed charges in a row */
  consecutiveFailures: Scalars['Int']['output'];
  enabled: Scalars['Boolean']['output'];
  lastError?: Maybe<Scalars['String']['output']>;
  /** Null: no cap on recharges per calendar month (UTC) */
  monthlyCap?: Maybe<Money>;
  /** Charged per recharge; buys Premium minutes at the client price */
  rechargeAmount: Money;
  /** A balance below this is recharged (checked every minute and on saving) */
  threshold: Money;
};

/** A change of a wallet's balance by one ledger transfer. */
export type BalanceEvent = {
  __typename?: 'BalanceEvent';
  /** The balance right after this transfer */
  balance: Money;
  /** Signed: negative for a debit */
  delta: Money;
  occurredAt: Scalars['DateTime']['output'];
  /** Strictly increasing within a stream; pass the last one seen as afterSequence to resume */
  sequence: Scalars['String']['output'];
  subAccount: SubAccount;
  transfer: Transfer;
};

export type BillingCycle = {
  __typename?: 'BillingCycle';
  end: Scalars['DateTime']['output'];
  nextBillingDate: Scalars['DateTime']['output'];
  start: Scalars['DateTime']['output'];
};

/** One finished call, with the cost debited from its wallet. */
export type Call = Node & {
  __typename?: 'Call';
  /** Debited from the wallet: seconds / 60 × minutePrice, rounded up to the micro-dollar */
  cost: Money;
  durationSeconds: Scalars['Int']['output'];
  /** The voice platform's id: the same call is recorded once per sub-account */
  externalCallId: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  /** The price per minute in force when the call was recorded */
  minutePrice: Money;
  /** When it was recorded; its price is the one in force then */
  recordedAt: Scalars['DateTime']['output'];
  scenario?: Maybe<Scenario>;
  /** Reports count a call in the range and UTC day it started in */
  startedAt: Scalars['DateTime']['output'];
  status: CallStatus;
  subAccount: SubAccount;
  tier: MinuteTier;
};

export type CallConnection = {
  __typename?: 'CallConnection';
  edges: Array<CallEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type CallEdge = {
  __typename?: 'CallEdge';
  cursor: Scalars['String']['output'];
  node: Call;
};

/** How a call ended. */
export type CallStatus =
  | 'BUSY'
  | 'CANCELED'
  | 'COMPLETED'
  | 'FAILED'
  | 'NO_ANSWER'
  | 'VOICEMAIL';

export type ChangeAgencyPlanInput = {
  agencyId: Scalars['ID']['input'];
  planCode: Scalars['String']['input'];
};

export type ChangeAgencyPlanPayload = {
  __typename?: 'ChangeAgencyPlanPayload';
  agency?: Maybe<Agency>;
  userErrors: Array<UserError>;
};

export type CreateAgencyInput = {
  name: Scalars['String']['input'];
  planCode: Scalars['String']['input'];
  /** Anchor of the billing cycle; now when omitted */
  planStartedAt?: InputMaybe<Scalars['DateTime']['input']>;
  primaryLoginEmail: Scalars['String']['input'];
};

export type CreateAgencyPayload = {
  __typename?: 'CreateAgencyPayload';
  agency?: Maybe<Agency>;
  userErrors: Array<UserError>;
};

export type CreateApiKeyInput = {
  /** Required for AGENCY_ADMIN and USAGE_INGEST keys */
  agencyId?: InputMaybe<Scalars['ID']['input']>;
  name: Scalars['String']['input'];
  role: Role;
  /** Required for CLIENT_ADMIN keys */
  subAccountId?: InputMaybe<Scalars['ID']['input']>;
};

export type CreateApiKeyPayload = {
  __typename?: 'CreateApiKeyPayload';
  apiKey?: Maybe<ApiKey>;
  /** Shown once, never stored in clear */
  secret?: Maybe<Scalars['String']['output']>;
  userErrors: Array<UserError>;
};

export type CreateScenarioInput = {
  /** 1 to 200 characters; an existing name (any case) returns that scenario */
  name: Scalars['String']['input'];
  subAccountId: Scalars['ID']['input'];
};

export type CreateScenarioPayload = {
  __typename?: 'CreateScenarioPayload';
  scenario?: Maybe<Scenario>;
  userErrors: Array<UserError>;
};

/** A half-open range of instants: [from, to). */
export type DateRangeInput = {
  /** inclusive */
  from: Scalars['DateTime']['input'];
  /** exclusive */
  to: Scalars['DateTime']['input'];
};

/** Minute quality tiers, each with its own price. */
export type MinuteTier =
  | 'BASIC'
  | 'PREMIUM';

/** An amount of US dollars, exact to the micro-dollar. */
export type Money = {
  __typename?: 'Money';
  /** USD, up to 6 fractional digits (micro-dollars) */
  amount: Scalars['Decimal']['output'];
  currencyCode: Scalars['String']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /** Adds a client sub-account; PLAN_LIMIT_REACHED past the cap. */
  addSubAccount: AddSubAccountPayload;
  /** Platform admins: a manual credit or debit with a reason. */
  adjustWalletBalance: AdjustWalletBalancePayload;
  /** Moves the agency to a current plan: PLAN_NOT_AVAILABLE onto a legacy plan, PLAN_TOO_SMALL below the active sub-accounts. */
  changeAgencyPlan: ChangeAgencyPlanPayload;
  /** Platform admins: a new agency with its primary sub-account. */
  createAgency: CreateAgencyPayload;
  /** Returns the secret once; only its hash is kept. */
  createApiKey: CreateApiKeyPayload;
  /** A Stripe SetupIntent for saving the sub-account’s card; returns its client secret. */
  createPaymentMethodSetup: PaymentMethodSetupPayload;
  /** A campaign or project of a sub-account; returns the existing one when the name is taken. */
  createScenario: CreateScenarioPayload;
  /** Records one finished call and debits its cost; idempotent by (sub-account, externalCallId). */
  recordCallUsage: RecordCallUsagePayload;
  /** Up to 1,000 calls: the good ones are recorded, each bad one gets a userError with its index. */
  recordCallUsageBatch: RecordCallUsageBatchPayload;
  /** Soft removal: frees a slot, keeps the history. */
  removeSubAccount: RemoveSubAccountPayload;
  /** Brings a removed sub-account back while a slot is free. */
  restoreSubAccount: RestoreSubAccountPayload;
  /** The key stops working from the next request on. */
  revokeApiKey: RevokeApiKeyPayload;
  setAgencyMarkup: SetAgencyMarkupPayload;
  /** Charges the saved card the recharge amount whenever the balance is below the threshold (at once if it already is); one recharge in flight per wallet. */
  setAutoRecharge: SetAutoRechargePayload;
  /** Sets the balance below which the wallet is low. Emits no event itself: the next balance change is judged against it. */
  setLowBalanceThreshold: SetLowBalanceThresholdPayload;
  /** Buys Premium minutes with the sub-account's saved card (off-session); earned profit accrues in the same transaction. */
  topUpWallet: TopUpWalletPayload;
  /** Moves minutes between two active sub-accounts of one agency at equal dollar value. */
  transferMinutes: TransferMinutesPayload;
  updateSubAccount: UpdateSubAccountPayload;
};


export type MutationAddSubAccountArgs = {
  input: AddSubAccountInput;
};


export type MutationAdjustWalletBalanceArgs = {
  input: AdjustWalletBalanceInput;
};


export type MutationChangeAgencyPlanArgs = {
  input: ChangeAgencyPlanInput;
};


export type MutationCreateAgencyArgs = {
  input: CreateAgencyInput;
};


export type MutationCreateApiKeyArgs = {
  input: CreateApiKeyInput;
};


export type MutationCreatePaymentMethodSetupArgs = {
  subAccountId: Scalars['ID']['input'];
};


export type MutationCreateScenarioArgs = {
  input: CreateScenarioInput;
};


export type MutationRecordCallUsageArgs = {
  input: RecordCallUsageInput;
};


export type MutationRecordCallUsageBatchArgs = {
  inputs: Array<RecordCallUsageInput>;
};


export type MutationRemoveSubAccountArgs = {
  input: RemoveSubAccountInput;
};


export type MutationRestoreSubAccountArgs = {
  input: RestoreSubAccountInput;
};


export type MutationRevokeApiKeyArgs = {
  input: RevokeApiKeyInput;
};


export type MutationSetAgencyMarkupArgs = {
  input: SetAgencyMarkupInput;
};


export type MutationSetAutoRechargeArgs = {
  input: SetAutoRechargeInput;
};


export type MutationSetLowBalanceThresholdArgs = {
  input: SetLowBalanceThresholdInput;
};


export type MutationTopUpWalletArgs = {
  input: TopUpWalletInput;
};


export type MutationTransferMinutesArgs = {
  input: TransferMinutesInput;
};


export type MutationUpdateSubAccountArgs = {
  input: UpdateSubAccountInput;
};

export type Node = {
  id: Scalars['ID']['output'];
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
  hasPreviousPage: Scalars['Boolean']['output'];
  startCursor?: Maybe<Scalars['String']['output']>;
};

/** The sub-account's saved card (Stripe); only its owner's readers see it. */
export type PaymentMethod = {
  __typename?: 'PaymentMethod';
  /** visa, mastercard, amex, … */
  brand: Scalars['String']['output'];
  expMonth: Scalars['Int']['output'];
  expYear: Scalars['Int']['output'];
  last4: Scalars['String']['output'];
};

export type PaymentMethodSetupPayload = {
  __typename?: 'PaymentMethodSetupPayload';
  /** The SetupIntent client secret: confirm it with Stripe.js to save the card */
  clientSecret?: Maybe<Scalars['String']['output']>;
  userErrors: Array<UserError>;
};

/** A subscription plan of the voice platform. */
export type Plan = {
  __typename?: 'Plan';
  /** Platform price per minute of the tier */
  basePrice: Money;
  /** KICKSTART, AGENCY_LITE, AGENCY_UNLIMITED or PARTNER_LEGACY */
  code: Scalars['String']['output'];
  /** Minutes of the tier credited to the primary: once at creation, or every month on PARTNER_LEGACY */
  includedMinutes: Scalars['Decimal']['output'];
  /** Kept for the agencies already on it: changeAgencyPlan refuses to move an agency onto it (PLAN_NOT_AVAILABLE) */
  legacy: Scalars['Boolean']['output'];
  name: Scalars['String']['output'];
  /** Most active sub-accounts, the primary included; null: no cap */
  subAccountLimit?: Maybe<Scalars['Int']['output']>;
};


/** A subscription plan of the voice platform. */
export type PlanBasePriceArgs = {
  tier: MinuteTier;
};


/** A subscription plan of the voice platform. */
export type PlanIncludedMinutesArgs = {
  tier: MinuteTier;
};

export type Query = {
  __typename?: 'Query';
  /** Every agency, oldest first. Platform admins only. */
  agencies: AgencyConnection;
  /** Null when it does not exist or is not yours. */
  agency?: Maybe<Agency>;
  /** Any object by its global id; null when missing or not yours. */
  node?: Maybe<Node>;
  /** Every plan, cheapest first. Any authenticated caller. */
  plans: Array<Plan>;
  /** Null when it does not exist or is not yours. */
  subAccount?: Maybe<SubAccount>;
  /** Both sides of a minute transfer before making it. */
  transferQuote: TransferQuote;
  /** The caller: role, and the agency or sub-account it is scoped to. */
  viewer: Viewer;
};


export type QueryAgenciesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryAgencyArgs = {
  id: Scalars['ID']['input'];
};


export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


export type QuerySubAccountArgs = {
  id: Scalars['ID']['input'];
};


export type QueryTransferQuoteArgs = {
  input: TransferMinutesInput;
};

export type RecordCallUsageBatchPayload = {
  __typename?: 'RecordCallUsageBatchPayload';
  /** The calls recorded (or first records of retried ones), in input order */
  calls: Array<Call>;
  /** One per refused call; `field` starts with ["inputs", "<index>"] */
  userErrors: Array<UserError>;
};

export type RecordCallUsageInput = {
  /** Whole seconds, 0 to 86,400 */
  durationSeconds: Scalars['Int']['input'];
  /** Idempotency: the same call twice is recorded once; other terms under it: IDEMPOTENCY_CONFLICT */
  externalCallId: Scalars['String']['input'];
  /** A scenario of the same sub-account */
  scenarioId?: InputMaybe<Scalars['ID']['input']>;
  startedAt: Scalars['DateTime']['input'];
  status: CallStatus;
  subAccountId: Scalars['ID']['input'];
  tier: MinuteTier;
};

export type RecordCallUsagePayload = {
  __typename?: 'RecordCallUsagePayload';
  /** The call recorded, or the first record of a retried one */
  call?: Maybe<Call>;
  userErrors: Array<UserError>;
  /** The debited wallet; null for usage-ingest keys, which read nothing */
  wallet?: Maybe<Wallet>;
};

export type RemoveSubAccountInput = {
  id: Scalars['ID']['input'];
};

export type RemoveSubAccountPayload = {
  __typename?: 'RemoveSubAccountPayload';
  agency?: Maybe<Agency>;
  removedSubAccountId?: Maybe<Scalars['ID']['output']>;
  userErrors: Array<UserError>;
};

export type RestoreSubAccountInput = {
  id: Scalars['ID']['input'];
};

export type RestoreSubAccountPayload = {
  __typename?: 'RestoreSubAccountPayload';
  subAccount?: Maybe<SubAccount>;
  userErrors: Array<UserError>;
};

export type RevokeApiKeyInput = {
  id: Scalars['ID']['input'];
};

export type RevokeApiKeyPayload = {
  __typename?: 'RevokeApiKeyPayload';
  apiKey?: Maybe<ApiKey>;
  userErrors: Array<UserError>;
};

/** What an API key or token may do; see the README. */
export type Role =
  | 'AGENCY_ADMIN'
  | 'CLIENT_ADMIN'
  | 'PLATFORM_ADMIN'
  | 'USAGE_INGEST';

/** A call scenario of a sub-account: a campaign or project its calls belong to. */
export type Scenario = Node & {
  __typename?: 'Scenario';
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  subAccount: SubAccount;
};

export type SetAgencyMarkupInput = {
  agencyId: Scalars['ID']['input'];
  /** $ per Basic minute over the base price */
  basic: Scalars['Decimal']['input'];
  /** $ per Premium minute over the base price */
  premium: Scalars['Decimal']['input'];
};

export type SetAgencyMarkupPayload = {
  __typename?: 'SetAgencyMarkupPayload';
  agency?: Maybe<Agency>;
  userErrors: Array<UserError>;
};

export type SetAutoRechargeInput = {
  enabled: Scalars['Boolean']['input'];
  /** Dollars per calendar month (UTC), at least rechargeAmount; null: no cap */
  monthlyCap?: InputMaybe<Scalars['Decimal']['input']>;
  /** Dollars, 0.50 to 10,000, whole cents */
  rechargeAmount: Scalars['Decimal']['input'];
  subAccountId: Scalars['ID']['input'];
  /** Dollars, 0 to 1,000,000 */
  threshold: Scalars['Decimal']['input'];
};

export type SetAutoRechargePayload = {
  __typename?: 'SetAutoRechargePayload';
  subAccount?: Maybe<SubAccount>;
  userErrors: Array<UserError>;
};

export type SetLowBalanceThresholdInput = {
  subAccountId: Scalars['ID']['input'];
  /** Dollars, 0 to 1,000,000, at most 6 decimals; 0 turns LOW_BALANCE off */
  threshold: Scalars['Decimal']['input'];
};

export type SetLowBalanceThresholdPayload = {
  __typename?: 'SetLowBalanceThresholdPayload';
  userErrors: Array<UserError>;
  wallet?: Maybe<Wallet>;
};

export type StatusCount = {
  __typename?: 'StatusCount';
  count: Scalars['Int']['output'];
  status: CallStatus;
};

/** An agency's own (PRIMARY) or client (SECONDARY) account. */
export type SubAccount = Node & {
  __typename?: 'SubAccount';
  agency: Agency;
  /** true: no markup (always true for the primary) */
  applyBasePrice: Scalars['Boolean']['output'];
  /** Null until set */
  autoRecharge?: Maybe<AutoRecharge>;
  /** The current monthly cycle, UTC */
  billingCycle: BillingCycle;
  /** Newest first (by start instant) */
  calls: CallConnection;
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  kind: SubAccountKind;
  loginEmail: Scalars['String']['output'];
  /** Flat $ per minute over the base price; 0 with applyBasePrice */
  markup: Money;
  /** Base price + markup: what this sub-account pays per minute */
  minutePrice: Money;
  name: Scalars['String']['output'];
  /** The saved card, if any */
  paymentMethod?: Maybe<PaymentMethod>;
  removedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Oldest first */
  scenarios: Array<Scenario>;
  status: SubAccountStatus;
  /** Anchor of the monthly billing cycle */
  subscriptionStartedAt: Scalars['DateTime']['output'];
  /** Calls that started in the range; the current billing cycle without one */
  usage: UsageSummary;
  wallet: Wallet;
};


/** An agency's own (PRIMARY) or client (SECONDARY) account. */
export type SubAccountCallsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  range?: InputMaybe<DateRangeInput>;
  scenarioId?: InputMaybe<Scalars['ID']['input']>;
  status?: InputMaybe<CallStatus>;
};


/** An agency's own (PRIMARY) or client (SECONDARY) account. */
export type SubAccountMarkupArgs = {
  tier: MinuteTier;
};


/** An agency's own (PRIMARY) or client (SECONDARY) account. */
export type SubAccountMinutePriceArgs = {
  tier: MinuteTier;
};


/** An agency's own (PRIMARY) or client (SECONDARY) account. */
export type SubAccountUsageArgs = {
  range?: InputMaybe<DateRangeInput>;
};

export type SubAccountConnection = {
  __typename?: 'SubAccountConnection';
  edges: Array<SubAccountEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type SubAccountEdge = {
  __typename?: 'SubAccountEdge';
  cursor: Scalars['String']['output'];
  node: SubAccount;
};

export type SubAccountKind =
  | 'PRIMARY'
  | 'SECONDARY';

export type SubAccountStatus =
  | 'ACTIVE'
  | 'REMOVED';

export type SubAccountUsage = {
  __typename?: 'SubAccountUsage';
  subAccount: SubAccount;
  usage: UsageSummary;
  /** The wallet balance now (not at the end of the range) */
  walletBalance: Money;
};

export type Subscription = {
  __typename?: 'Subscription';
  /** Everything that happens in an agency's account (agency admins) */
  agencyActivity: AgencyEvent;
  /** Calls recorded for one sub-account, or for all an agency's sub-accounts */
  usageUpdated: UsageEvent;
  /** Balance changes of one sub-account's wallet, or of all an agency's wallets */
  walletBalanceChanged: BalanceEvent;
};


export type SubscriptionAgencyActivityArgs = {
  afterSequence?: InputMaybe<Scalars['String']['input']>;
  agencyId: Scalars['ID']['input'];
};


export type SubscriptionUsageUpdatedArgs = {
  afterSequence?: InputMaybe<Scalars['String']['input']>;
  agencyId?: InputMaybe<Scalars['ID']['input']>;
  subAccountId?: InputMaybe<Scalars['ID']['input']>;
};


export type SubscriptionWalletBalanceChangedArgs = {
  afterSequence?: InputMaybe<Scalars['String']['input']>;
  agencyId?: InputMaybe<Scalars['ID']['input']>;
  subAccountId?: InputMaybe<Scalars['ID']['input']>;
};

export type TierMinutes = {
  __typename?: 'TierMinutes';
  callCount: Scalars['Int']['output'];
  /** Seconds / 60, rounded to the nearest 1/10,000 minute */
  minutes: Scalars['Decimal']['output'];
  tier: MinuteTier;
};

export type TopUpWalletInput = {
  /** Dollars, 0.50 to 10,000; charged rounded up to the cent, and the wallet credited exactly what was charged */
  amount: Scalars['Decimal']['input'];
  /** The same key and amount never charge twice; another amount under it is IDEMPOTENCY_CONFLICT */
  idempotencyKey: Scalars['String']['input'];
  subAccountId: Scalars['ID']['input'];
};

export type TopUpWalletPayload = {
  __typename?: 'TopUpWalletPayload';
  /** With PAYMENT_ACTION_REQUIRED: the PaymentIntent client secret for Stripe.js (the customer authenticates; the webhook credits) */
  clientSecret?: Maybe<Scalars['String']['output']>;
  /** The TOP_UP transfer, once Stripe confirmed the money */
  transfer?: Maybe<Transfer>;
  userErrors: Array<UserError>;
};

/** One immutable movement of money in the ledger. */
export type Transfer = Node & {
  __typename?: 'Transfer';
  amount: Money;
  createdAt: Scalars['DateTime']['output'];
  /** Null when money came from outside the wallets, or the wallet is not yours */
  fromWallet?: Maybe<Wallet>;
  id: Scalars['ID']['output'];
  idempotencyKey?: Maybe<Scalars['String']['output']>;
  kind: TransferKind;
  memo?: Maybe<Scalars['String']['output']>;
  minutesReceived?: Maybe<Scalars['Decimal']['output']>;
  minutesSent?: Maybe<Scalars['Decimal']['output']>;
  tier?: Maybe<MinuteTier>;
  /** Null when money left the wallets, or the wallet is not yours */
  toWallet?: Maybe<Wallet>;
};

export type TransferConnection = {
  __typename?: 'TransferConnection';
  edges: Array<TransferEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type TransferEdge = {
  __typename?: 'TransferEdge';
  cursor: Scalars['String']['output'];
  node: Transfer;
};

/** Why money moved. MARKUP_PROFIT: the agency earns its markup on a purchase. */
export type TransferKind =
  | 'ADJUSTMENT'
  | 'AUTO_ALLOCATION'
  | 'AUTO_RECHARGE'
  | 'MARKUP_PROFIT'
  | 'MINUTE_TRANSFER'
  | 'PAYOUT'
  | 'PLAN_ALLOCATION'
  | 'SUB_ACCOUNT_CLOSURE'
  | 'TOP_UP'
  | 'USAGE';

export type TransferMinutesInput = {
  /** From a quote; QUOTE_CHANGED when prices moved */
  expectedMinutesReceived?: InputMaybe<Scalars['Decimal']['input']>;
  fromSubAccountId: Scalars['ID']['input'];
  /** Required; ignored by transferQuote. The same key and input return the first transfer. */
  idempotencyKey: Scalars['String']['input'];
  memo?: InputMaybe<Scalars['String']['input']>;
  /** Positive, at most 4 decimals */
  minutes: Scalars['Decimal']['input'];
  tier: MinuteTier;
  toSubAccountId: Scalars['ID']['input'];
};

export type TransferMinutesPayload = {
  __typename?: 'TransferMinutesPayload';
  transfer?: Maybe<Transfer>;
  userErrors: Array<UserError>;
};

/** What a minute transfer would move right now. */
export type TransferQuote = {
  __typename?: 'TransferQuote';
  /** What leaves the source wallet */
  amount: Money;
  fromMinutePrice: Money;
  /** Recalculated at the destination's markup */
  minutesReceived: Scalars['Decimal']['output'];
  minutesSent: Scalars['Decimal']['output'];
  tier: MinuteTier;
  toMinutePrice: Money;
};

/** Omitted fields stay as they are. A markup set to null follows the agency default again. */
export type UpdateSubAccountInput = {
  applyBasePrice?: InputMaybe<Scalars['Boolean']['input']>;
  id: Scalars['ID']['input'];
  loginEmail?: InputMaybe<Scalars['String']['input']>;
  markupBasic?: InputMaybe<Scalars['Decimal']['input']>;
  markupPremium?: InputMaybe<Scalars['Decimal']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
};

export type UpdateSubAccountPayload = {
  __typename?: 'UpdateSubAccountPayload';
  subAccount?: Maybe<SubAccount>;
  userErrors: Array<UserError>;
};

/** A recorded call and its debit. */
export type UsageEvent = {
  __typename?: 'UsageEvent';
  /** The balance right after this call */
  balance: Money;
  call: Call;
  /** Minutes used in the sub-account's current billing cycle */
  cycleMinutes: Scalars['Decimal']['output'];
  occurredAt: Scalars['DateTime']['output'];
  sequence: Scalars['String']['output'];
  subAccount: SubAccount;
};

/** An agency's usage over [from, to): totals and one row per sub-account. */
export type UsageReport = {
  __typename?: 'UsageReport';
  /** Every active sub-account (the primary first), and removed ones that have calls in the range */
  bySubAccount: Array<SubAccountUsage>;
  from: Scalars['DateTime']['output'];
  to: Scalars['DateTime']['output'];
  /** All sub-accounts, the primary and removed ones included */
  totals: UsageSummary;
};

/** Usage of calls that started in [from, to), exact: see docs/usage.md. */
export type UsageSummary = {
  __typename?: 'UsageSummary';
  callCount: Scalars['Int']['output'];
  /** Every status, zeros included */
  callsByStatus: Array<StatusCount>;
  from: Scalars['DateTime']['output'];
  /** Every tier, zeros included */
  minutesByTier: Array<TierMinutes>;
  /** Consumed markup: the markup part of `spent` in the range (what usage used up). Not earned profit, which accrues on purchases: see Agency.profit */
  profit: Money;
  /** Cost of the calls: what left the wallets */
  spent: Money;
  to: Scalars['DateTime']['output'];
  /** All seconds / 60, rounded to the nearest 1/10,000 minute */
  totalMinutes: Scalars['Decimal']['output'];
};

/** A business-rule failure of a mutation: nothing was changed. */
export type UserError = {
  __typename?: 'UserError';
  /** Stable machine code, e.g. PLAN_LIMIT_REACHED */
  code: Scalars['String']['output'];
  /** Path into the input, where one field is at fault */
  field?: Maybe<Array<Scalars['String']['output']>>;
  /** For people */
  message: Scalars['String']['output'];
};

/** Who the credentials of this request belong to. */
export type Viewer = {
  __typename?: 'Viewer';
  agency?: Maybe<Agency>;
  role: Role;
  subAccount?: Maybe<SubAccount>;
};

/** The dollar value of the minutes a sub-account can still use. */
export type Wallet = Node & {
  __typename?: 'Wallet';
  /** balance / minutePrice(tier), rounded down to 1/10,000 minute */
  availableMinutes: Scalars['Decimal']['output'];
  balance: Money;
  id: Scalars['ID']['output'];
  /** LOW_BALANCE / BALANCE_RECOVERED events cross it; $5 by default */
  lowBalanceThreshold: Money;
  /** Cost of the calls that started in the range; the current billing cycle without one */
  spent: Money;
  subAccount: SubAccount;
  /** Transfers in and out of this wallet, newest first */
  transfers: TransferConnection;
};


/** The dollar value of the minutes a sub-account can still use. */
export type WalletAvailableMinutesArgs = {
  tier: MinuteTier;
};


/** The dollar value of the minutes a sub-account can still use. */
export type WalletSpentArgs = {
  range?: InputMaybe<DateRangeInput>;
};


/** The dollar value of the minutes a sub-account can still use. */
export type WalletTransfersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  kind?: InputMaybe<TransferKind>;
  range?: InputMaybe<DateRangeInput>;
};

export type AddSubAccountInput = {
  agencyId: string | number;
  /** true: no markup at all */
  applyBasePrice?: boolean | null | undefined;
  loginEmail: string;
  /** $ per minute; the agency default when omitted */
  markupBasic?: string | null | undefined;
  markupPremium?: string | null | undefined;
  name: string;
  /** Billing cycle anchor; now when omitted */
  subscriptionStartedAt?: string | null | undefined;
};

/** How a call ended. */
export type CallStatus =
  | 'BUSY'
  | 'CANCELED'
  | 'COMPLETED'
  | 'FAILED'
  | 'NO_ANSWER'
  | 'VOICEMAIL';

export type ChangeAgencyPlanInput = {
  agencyId: string | number;
  planCode: string;
};

export type CreateAgencyInput = {
  name: string;
  planCode: string;
  /** Anchor of the billing cycle; now when omitted */
  planStartedAt?: string | null | undefined;
  primaryLoginEmail: string;
};

export type CreateApiKeyInput = {
  /** Required for AGENCY_ADMIN and USAGE_INGEST keys */
  agencyId?: string | number | null | undefined;
  name: string;
  role: Role;
  /** Required for CLIENT_ADMIN keys */
  subAccountId?: string | number | null | undefined;
};

export type CreateScenarioInput = {
  /** 1 to 200 characters; an existing name (any case) returns that scenario */
  name: string;
  subAccountId: string | number;
};

/** A half-open range of instants: [from, to). */
export type DateRangeInput = {
  /** inclusive */
  from: string;
  /** exclusive */
  to: string;
};

/** Minute quality tiers, each with its own price. */
export type MinuteTier =
  | 'BASIC'
  | 'PREMIUM';

export type RecordCallUsageInput = {
  /** Whole seconds, 0 to 86,400 */
  durationSeconds: number;
  /** Idempotency: the same call twice is recorded once; other terms under it: IDEMPOTENCY_CONFLICT */
  externalCallId: string;
  /** A scenario of the same sub-account */
  scenarioId?: string | number | null | undefined;
  startedAt: string;
  status: CallStatus;
  subAccountId: string | number;
  tier: MinuteTier;
};

export type RemoveSubAccountInput = {
  id: string | number;
};

export type RestoreSubAccountInput = {
  id: string | number;
};

export type RevokeApiKeyInput = {
  id: string | number;
};

/** What an API key or token may do; see the README. */
export type Role =
  | 'AGENCY_ADMIN'
  | 'CLIENT_ADMIN'
  | 'PLATFORM_ADMIN'
  | 'USAGE_INGEST';

export type SetAgencyMarkupInput = {
  agencyId: string | number;
  /** $ per Basic minute over the base price */
  basic: string;
  /** $ per Premium minute over the base price */
  premium: string;
};

export type SetLowBalanceThresholdInput = {
  subAccountId: string | number;
  /** Dollars, 0 to 1,000,000, at most 6 decimals; 0 turns LOW_BALANCE off */
  threshold: string;
};

export type SubAccountKind =
  | 'PRIMARY'
  | 'SECONDARY';

export type SubAccountStatus =
  | 'ACTIVE'
  | 'REMOVED';

/** Why money moved. MARKUP_PROFIT: the agency earns its markup on a purchase. */
export type TransferKind =
  | 'ADJUSTMENT'
  | 'AUTO_ALLOCATION'
  | 'AUTO_RECHARGE'
  | 'MARKUP_PROFIT'
  | 'MINUTE_TRANSFER'
  | 'PAYOUT'
  | 'PLAN_ALLOCATION'
  | 'SUB_ACCOUNT_CLOSURE'
  | 'TOP_UP'
  | 'USAGE';

export type TransferMinutesInput = {
  /** From a quote; QUOTE_CHANGED when prices moved */
  expectedMinutesReceived?: string | null | undefined;
  fromSubAccountId: string | number;
  /** Required; ignored by transferQuote. The same key and input return the first transfer. */
  idempotencyKey: string;
  memo?: string | null | undefined;
  /** Positive, at most 4 decimals */
  minutes: string;
  tier: MinuteTier;
  toSubAccountId: string | number;
};

/** Omitted fields stay as they are. A markup set to null follows the agency default again. */
export type UpdateSubAccountInput = {
  applyBasePrice?: boolean | null | undefined;
  id: string | number;
  loginEmail?: string | null | undefined;
  markupBasic?: string | null | undefined;
  markupPremium?: string | null | undefined;
  name?: string | null | undefined;
};

export type PlansQueryVariables = Exact<{ [key: string]: never; }>;


export type PlansQuery = { plans: Array<{ code: string, name: string, subAccountLimit: number | null, includedPremium: string, basic: { amount: string, currencyCode: string }, premium: { amount: string, currencyCode: string } }> };

export type AgencyDashboardQueryVariables = Exact<{
  id: string | number;
  first?: number | null | undefined;
  after?: string | null | undefined;
  search?: string | null | undefined;
  status?: SubAccountStatus | null | undefined;
}>;


export type AgencyDashboardQuery = { agency: { id: string, name: string, planRenewsAt: string, subAccountSlotsRemaining: number | null, plan: { code: string, name: string, subAccountLimit: number | null }, markupBasic: { amount: string }, markupPremium: { amount: string }, subAccounts: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, kind: SubAccountKind, status: SubAccountStatus, name: string, loginEmail: string, applyBasePrice: boolean, markupBasic: { amount: string }, markupPremium: { amount: string }, priceBasic: { amount: string }, pricePremium: { amount: string }, billingCycle: { start: string, end: string, nextBillingDate: string }, wallet: { id: string, availablePremium: string, balance: { amount: string } } } }> } } | null };

export type CreateAgencyMutationVariables = Exact<{
  input: CreateAgencyInput;
}>;


export type CreateAgencyMutation = { createAgency: { agency: { id: string, name: string, planRenewsAt: string, primarySubAccount: { id: string } } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type ChangeAgencyPlanMutationVariables = Exact<{
  input: ChangeAgencyPlanInput;
}>;


export type ChangeAgencyPlanMutation = { changeAgencyPlan: { agency: { id: string, subAccountSlotsRemaining: number | null, plan: { code: string } } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type SetAgencyMarkupMutationVariables = Exact<{
  input: SetAgencyMarkupInput;
}>;


export type SetAgencyMarkupMutation = { setAgencyMarkup: { agency: { id: string, basic: { amount: string }, premium: { amount: string } } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { role: Role, agency: { id: string, name: string } | null, subAccount: { id: string, name: string } | null } };

export type CreateApiKeyMutationVariables = Exact<{
  input: CreateApiKeyInput;
}>;


export type CreateApiKeyMutation = { createApiKey: { secret: string | null, apiKey: { id: string, name: string, role: Role, createdAt: string } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type RevokeApiKeyMutationVariables = Exact<{
  input: RevokeApiKeyInput;
}>;


export type RevokeApiKeyMutation = { revokeApiKey: { apiKey: { id: string, revokedAt: string | null } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type WalletBalanceChangedSubscriptionVariables = Exact<{
  subAccountId?: string | number | null | undefined;
  agencyId?: string | number | null | undefined;
  afterSequence?: string | null | undefined;
}>;


export type WalletBalanceChangedSubscription = { walletBalanceChanged: { sequence: string, occurredAt: string, subAccount: { id: string, name: string }, balance: { amount: string, currencyCode: string }, delta: { amount: string, currencyCode: string }, transfer: { id: string, kind: TransferKind, createdAt: string } } };

export type UsageUpdatedSubscriptionVariables = Exact<{
  subAccountId?: string | number | null | undefined;
  agencyId?: string | number | null | undefined;
  afterSequence?: string | null | undefined;
}>;


export type UsageUpdatedSubscription = { usageUpdated: { sequence: string, cycleMinutes: string, occurredAt: string, subAccount: { id: string, name: string }, call: { id: string, externalCallId: string, tier: MinuteTier, status: CallStatus, durationSeconds: number, cost: { amount: string, currencyCode: string } }, balance: { amount: string, currencyCode: string } } };

export type AgencyActivitySubscriptionVariables = Exact<{
  agencyId: string | number;
  afterSequence?: string | null | undefined;
}>;


export type AgencyActivitySubscription = { agencyActivity: { sequence: string, type: string, occurredAt: string, agency: { id: string }, subAccount: { id: string, name: string } | null, balanceEvent: { sequence: string, balance: { amount: string, currencyCode: string }, delta: { amount: string, currencyCode: string }, transfer: { id: string, kind: TransferKind } } | null, usageEvent: { sequence: string, cycleMinutes: string, call: { id: string } } | null } };

export type AddSubAccountMutationVariables = Exact<{
  input: AddSubAccountInput;
}>;


export type AddSubAccountMutation = { addSubAccount: { subAccount: { id: string, name: string, loginEmail: string, status: SubAccountStatus } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type UpdateSubAccountMutationVariables = Exact<{
  input: UpdateSubAccountInput;
}>;


export type UpdateSubAccountMutation = { updateSubAccount: { subAccount: { id: string, name: string, loginEmail: string, applyBasePrice: boolean, markup: { amount: string } } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type RemoveSubAccountMutationVariables = Exact<{
  input: RemoveSubAccountInput;
}>;


export type RemoveSubAccountMutation = { removeSubAccount: { removedSubAccountId: string | null, agency: { id: string, subAccountSlotsRemaining: number | null } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type RestoreSubAccountMutationVariables = Exact<{
  input: RestoreSubAccountInput;
}>;


export type RestoreSubAccountMutation = { restoreSubAccount: { subAccount: { id: string, status: SubAccountStatus } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type SubAccountQueryVariables = Exact<{
  id: string | number;
}>;


export type SubAccountQuery = { subAccount: { id: string, kind: SubAccountKind, status: SubAccountStatus, name: string, wallet: { id: string, balance: { amount: string }, lowBalanceThreshold: { amount: string } } } | null };

export type TransferQuoteQueryVariables = Exact<{
  input: TransferMinutesInput;
}>;


export type TransferQuoteQuery = { transferQuote: { tier: MinuteTier, minutesSent: string, minutesReceived: string, amount: { amount: string, currencyCode: string }, fromMinutePrice: { amount: string }, toMinutePrice: { amount: string } } };

export type TransferMinutesMutationVariables = Exact<{
  input: TransferMinutesInput;
}>;


export type TransferMinutesMutation = { transferMinutes: { transfer: { id: string, kind: TransferKind, tier: MinuteTier | null, minutesSent: string | null, minutesReceived: string | null, createdAt: string, amount: { amount: string } } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type CreateScenarioMutationVariables = Exact<{
  input: CreateScenarioInput;
}>;


export type CreateScenarioMutation = { createScenario: { scenario: { id: string, name: string, createdAt: string } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type RecordCallUsageMutationVariables = Exact<{
  input: RecordCallUsageInput;
}>;


export type RecordCallUsageMutation = { recordCallUsage: { call: { id: string, externalCallId: string, tier: MinuteTier, status: CallStatus, startedAt: string, durationSeconds: number, cost: { amount: string }, minutePrice: { amount: string } } | null, wallet: { id: string, balance: { amount: string } } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type RecordCallUsageBatchMutationVariables = Exact<{
  inputs: Array<RecordCallUsageInput> | RecordCallUsageInput;
}>;


export type RecordCallUsageBatchMutation = { recordCallUsageBatch: { calls: Array<{ id: string, externalCallId: string, cost: { amount: string } }>, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export type UsageSummaryFieldsFragment = { from: string, to: string, totalMinutes: string, callCount: number, minutesByTier: Array<{ tier: MinuteTier, minutes: string, callCount: number }>, callsByStatus: Array<{ status: CallStatus, count: number }>, spent: { amount: string }, profit: { amount: string } };

export type SubAccountUsageQueryVariables = Exact<{
  id: string | number;
  range?: DateRangeInput | null | undefined;
}>;


export type SubAccountUsageQuery = { subAccount: { id: string, billingCycle: { start: string, end: string }, usage: { from: string, to: string, totalMinutes: string, callCount: number, minutesByTier: Array<{ tier: MinuteTier, minutes: string, callCount: number }>, callsByStatus: Array<{ status: CallStatus, count: number }>, spent: { amount: string }, profit: { amount: string } }, wallet: { balance: { amount: string }, spent: { amount: string } }, scenarios: Array<{ id: string, name: string }> } | null };

export type SubAccountCallsQueryVariables = Exact<{
  id: string | number;
  first?: number | null | undefined;
  after?: string | null | undefined;
  range?: DateRangeInput | null | undefined;
  status?: CallStatus | null | undefined;
  scenarioId?: string | number | null | undefined;
}>;


export type SubAccountCallsQuery = { subAccount: { calls: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, externalCallId: string, tier: MinuteTier, status: CallStatus, startedAt: string, durationSeconds: number, cost: { amount: string }, scenario: { id: string, name: string } | null } }> } } | null };

export type AgencyUsageReportQueryVariables = Exact<{
  id: string | number;
  range: DateRangeInput;
}>;


export type AgencyUsageReportQuery = { agency: { id: string, totalMinutesUsed: string, usageReport: { from: string, to: string, totals: { from: string, to: string, totalMinutes: string, callCount: number, minutesByTier: Array<{ tier: MinuteTier, minutes: string, callCount: number }>, callsByStatus: Array<{ status: CallStatus, count: number }>, spent: { amount: string }, profit: { amount: string } }, bySubAccount: Array<{ subAccount: { id: string, name: string, status: SubAccountStatus }, usage: { from: string, to: string, totalMinutes: string, callCount: number, minutesByTier: Array<{ tier: MinuteTier, minutes: string, callCount: number }>, callsByStatus: Array<{ status: CallStatus, count: number }>, spent: { amount: string }, profit: { amount: string } }, walletBalance: { amount: string } }> } } | null };

export type SetLowBalanceThresholdMutationVariables = Exact<{
  input: SetLowBalanceThresholdInput;
}>;


export type SetLowBalanceThresholdMutation = { setLowBalanceThreshold: { wallet: { id: string, balance: { amount: string }, lowBalanceThreshold: { amount: string } } | null, userErrors: Array<{ code: string, message: string, field: Array<string> | null }> } };

export const UsageSummaryFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UsageSummaryFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UsageSummary"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"totalMinutes"}},{"kind":"Field","name":{"kind":"Name","value":"minutesByTier"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"minutes"}},{"kind":"Field","name":{"kind":"Name","value":"callCount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"callCount"}},{"kind":"Field","name":{"kind":"Name","value":"callsByStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"spent"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"profit"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}}]} as unknown as DocumentNode<UsageSummaryFieldsFragment, unknown>;
export const PlansDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Plans"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"plans"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"subAccountLimit"}},{"kind":"Field","alias":{"kind":"Name","value":"basic"},"name":{"kind":"Name","value":"basePrice"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"BASIC"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currencyCode"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"premium"},"name":{"kind":"Name","value":"basePrice"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"PREMIUM"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currencyCode"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"includedPremium"},"name":{"kind":"Name","value":"includedMinutes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"PREMIUM"}}]}]}}]}}]} as unknown as DocumentNode<PlansQuery, PlansQueryVariables>;
export const AgencyDashboardDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AgencyDashboard"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"search"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"SubAccountStatus"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"agency"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"plan"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"subAccountLimit"}}]}},{"kind":"Field","name":{"kind":"Name","value":"planRenewsAt"}},{"kind":"Field","name":{"kind":"Name","value":"subAccountSlotsRemaining"}},{"kind":"Field","alias":{"kind":"Name","value":"markupBasic"},"name":{"kind":"Name","value":"defaultMarkup"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"BASIC"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"markupPremium"},"name":{"kind":"Name","value":"defaultMarkup"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"PREMIUM"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"subAccounts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"search"},"value":{"kind":"Variable","name":{"kind":"Name","value":"search"}}},{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"loginEmail"}},{"kind":"Field","name":{"kind":"Name","value":"applyBasePrice"}},{"kind":"Field","alias":{"kind":"Name","value":"markupBasic"},"name":{"kind":"Name","value":"markup"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"BASIC"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"markupPremium"},"name":{"kind":"Name","value":"markup"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"PREMIUM"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"priceBasic"},"name":{"kind":"Name","value":"minutePrice"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"BASIC"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"pricePremium"},"name":{"kind":"Name","value":"minutePrice"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"PREMIUM"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"billingCycle"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"start"}},{"kind":"Field","name":{"kind":"Name","value":"end"}},{"kind":"Field","name":{"kind":"Name","value":"nextBillingDate"}}]}},{"kind":"Field","name":{"kind":"Name","value":"wallet"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"balance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"availablePremium"},"name":{"kind":"Name","value":"availableMinutes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"PREMIUM"}}]}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<AgencyDashboardQuery, AgencyDashboardQueryVariables>;
export const CreateAgencyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateAgency"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateAgencyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createAgency"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"agency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"planRenewsAt"}},{"kind":"Field","name":{"kind":"Name","value":"primarySubAccount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<CreateAgencyMutation, CreateAgencyMutationVariables>;
export const ChangeAgencyPlanDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ChangeAgencyPlan"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ChangeAgencyPlanInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"changeAgencyPlan"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"agency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"plan"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}}]}},{"kind":"Field","name":{"kind":"Name","value":"subAccountSlotsRemaining"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<ChangeAgencyPlanMutation, ChangeAgencyPlanMutationVariables>;
export const SetAgencyMarkupDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetAgencyMarkup"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetAgencyMarkupInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setAgencyMarkup"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"agency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","alias":{"kind":"Name","value":"basic"},"name":{"kind":"Name","value":"defaultMarkup"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"BASIC"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"premium"},"name":{"kind":"Name","value":"defaultMarkup"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"PREMIUM"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<SetAgencyMarkupMutation, SetAgencyMarkupMutationVariables>;
export const ViewerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"agency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"subAccount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]} as unknown as DocumentNode<ViewerQuery, ViewerQueryVariables>;
export const CreateApiKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateApiKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateApiKeyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createApiKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"secret"}},{"kind":"Field","name":{"kind":"Name","value":"apiKey"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<CreateApiKeyMutation, CreateApiKeyMutationVariables>;
export const RevokeApiKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RevokeApiKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RevokeApiKeyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revokeApiKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"apiKey"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<RevokeApiKeyMutation, RevokeApiKeyMutationVariables>;
export const WalletBalanceChangedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"WalletBalanceChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"subAccountId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"agencyId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"afterSequence"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"walletBalanceChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"subAccountId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"subAccountId"}}},{"kind":"Argument","name":{"kind":"Name","value":"agencyId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"agencyId"}}},{"kind":"Argument","name":{"kind":"Name","value":"afterSequence"},"value":{"kind":"Variable","name":{"kind":"Name","value":"afterSequence"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"subAccount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"balance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currencyCode"}}]}},{"kind":"Field","name":{"kind":"Name","value":"delta"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currencyCode"}}]}},{"kind":"Field","name":{"kind":"Name","value":"transfer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}}]}}]}}]} as unknown as DocumentNode<WalletBalanceChangedSubscription, WalletBalanceChangedSubscriptionVariables>;
export const UsageUpdatedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"UsageUpdated"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"subAccountId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"agencyId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"afterSequence"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"usageUpdated"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"subAccountId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"subAccountId"}}},{"kind":"Argument","name":{"kind":"Name","value":"agencyId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"agencyId"}}},{"kind":"Argument","name":{"kind":"Name","value":"afterSequence"},"value":{"kind":"Variable","name":{"kind":"Name","value":"afterSequence"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"subAccount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"call"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"externalCallId"}},{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"durationSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"cost"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currencyCode"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"cycleMinutes"}},{"kind":"Field","name":{"kind":"Name","value":"balance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currencyCode"}}]}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}}]}}]}}]} as unknown as DocumentNode<UsageUpdatedSubscription, UsageUpdatedSubscriptionVariables>;
export const AgencyActivityDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"AgencyActivity"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"agencyId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"afterSequence"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"agencyActivity"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"agencyId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"agencyId"}}},{"kind":"Argument","name":{"kind":"Name","value":"afterSequence"},"value":{"kind":"Variable","name":{"kind":"Name","value":"afterSequence"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"agency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"subAccount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"balanceEvent"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"balance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currencyCode"}}]}},{"kind":"Field","name":{"kind":"Name","value":"delta"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currencyCode"}}]}},{"kind":"Field","name":{"kind":"Name","value":"transfer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"usageEvent"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sequence"}},{"kind":"Field","name":{"kind":"Name","value":"call"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"cycleMinutes"}}]}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}}]}}]}}]} as unknown as DocumentNode<AgencyActivitySubscription, AgencyActivitySubscriptionVariables>;
export const AddSubAccountDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AddSubAccount"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AddSubAccountInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"addSubAccount"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"subAccount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"loginEmail"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<AddSubAccountMutation, AddSubAccountMutationVariables>;
export const UpdateSubAccountDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateSubAccount"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateSubAccountInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateSubAccount"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"subAccount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"loginEmail"}},{"kind":"Field","name":{"kind":"Name","value":"applyBasePrice"}},{"kind":"Field","name":{"kind":"Name","value":"markup"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"tier"},"value":{"kind":"EnumValue","value":"PREMIUM"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<UpdateSubAccountMutation, UpdateSubAccountMutationVariables>;
export const RemoveSubAccountDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RemoveSubAccount"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RemoveSubAccountInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeSubAccount"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removedSubAccountId"}},{"kind":"Field","name":{"kind":"Name","value":"agency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subAccountSlotsRemaining"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<RemoveSubAccountMutation, RemoveSubAccountMutationVariables>;
export const RestoreSubAccountDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RestoreSubAccount"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RestoreSubAccountInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"restoreSubAccount"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"subAccount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<RestoreSubAccountMutation, RestoreSubAccountMutationVariables>;
export const SubAccountDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SubAccount"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"subAccount"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"wallet"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"balance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"lowBalanceThreshold"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}}]}}]}}]} as unknown as DocumentNode<SubAccountQuery, SubAccountQueryVariables>;
export const TransferQuoteDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"TransferQuote"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"TransferMinutesInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"transferQuote"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"minutesSent"}},{"kind":"Field","name":{"kind":"Name","value":"minutesReceived"}},{"kind":"Field","name":{"kind":"Name","value":"amount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currencyCode"}}]}},{"kind":"Field","name":{"kind":"Name","value":"fromMinutePrice"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"toMinutePrice"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}}]}}]} as unknown as DocumentNode<TransferQuoteQuery, TransferQuoteQueryVariables>;
export const TransferMinutesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"TransferMinutes"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"TransferMinutesInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"transferMinutes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"transfer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"amount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"minutesSent"}},{"kind":"Field","name":{"kind":"Name","value":"minutesReceived"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<TransferMinutesMutation, TransferMinutesMutationVariables>;
export const CreateScenarioDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateScenario"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateScenarioInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createScenario"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"scenario"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<CreateScenarioMutation, CreateScenarioMutationVariables>;
export const RecordCallUsageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RecordCallUsage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RecordCallUsageInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"recordCallUsage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"call"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"externalCallId"}},{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"durationSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"cost"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"minutePrice"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"wallet"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"balance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<RecordCallUsageMutation, RecordCallUsageMutationVariables>;
export const RecordCallUsageBatchDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RecordCallUsageBatch"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"inputs"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RecordCallUsageInput"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"recordCallUsageBatch"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"inputs"},"value":{"kind":"Variable","name":{"kind":"Name","value":"inputs"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"calls"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"externalCallId"}},{"kind":"Field","name":{"kind":"Name","value":"cost"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<RecordCallUsageBatchMutation, RecordCallUsageBatchMutationVariables>;
export const SubAccountUsageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SubAccountUsage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"range"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateRangeInput"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"subAccount"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"billingCycle"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"start"}},{"kind":"Field","name":{"kind":"Name","value":"end"}}]}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"range"},"value":{"kind":"Variable","name":{"kind":"Name","value":"range"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UsageSummaryFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"wallet"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"balance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"spent"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"range"},"value":{"kind":"Variable","name":{"kind":"Name","value":"range"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"scenarios"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UsageSummaryFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UsageSummary"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"totalMinutes"}},{"kind":"Field","name":{"kind":"Name","value":"minutesByTier"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"minutes"}},{"kind":"Field","name":{"kind":"Name","value":"callCount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"callCount"}},{"kind":"Field","name":{"kind":"Name","value":"callsByStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"spent"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"profit"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}}]} as unknown as DocumentNode<SubAccountUsageQuery, SubAccountUsageQueryVariables>;
export const SubAccountCallsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SubAccountCalls"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"range"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateRangeInput"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"CallStatus"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"scenarioId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"subAccount"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"calls"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"range"},"value":{"kind":"Variable","name":{"kind":"Name","value":"range"}}},{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}},{"kind":"Argument","name":{"kind":"Name","value":"scenarioId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"scenarioId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"externalCallId"}},{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"durationSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"cost"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"scenario"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SubAccountCallsQuery, SubAccountCallsQueryVariables>;
export const AgencyUsageReportDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AgencyUsageReport"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"range"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateRangeInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"agency"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"totalMinutesUsed"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"range"},"value":{"kind":"Variable","name":{"kind":"Name","value":"range"}}}]},{"kind":"Field","name":{"kind":"Name","value":"usageReport"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"range"},"value":{"kind":"Variable","name":{"kind":"Name","value":"range"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"totals"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UsageSummaryFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"bySubAccount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"subAccount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UsageSummaryFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"walletBalance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UsageSummaryFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UsageSummary"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"totalMinutes"}},{"kind":"Field","name":{"kind":"Name","value":"minutesByTier"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"minutes"}},{"kind":"Field","name":{"kind":"Name","value":"callCount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"callCount"}},{"kind":"Field","name":{"kind":"Name","value":"callsByStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"Field","name":{"kind":"Name","value":"spent"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"profit"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}}]} as unknown as DocumentNode<AgencyUsageReportQuery, AgencyUsageReportQueryVariables>;
export const SetLowBalanceThresholdDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetLowBalanceThreshold"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetLowBalanceThresholdInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setLowBalanceThreshold"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"wallet"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"balance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"lowBalanceThreshold"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<SetLowBalanceThresholdMutation, SetLowBalanceThresholdMutationVariables>;
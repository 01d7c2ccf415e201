// The simulator's records and the wire shapes it builds from them. Field names follow AURA's seed payloads
// (../shared/seeds/webhook-payloads) field for field.

export interface SimCustomer {
  id: number;
  name: string;
  surname: string;
  mobile: string;
  email: string | null;
  gender: string;
  dateOfBirth: string | null;
  vehicleMake: string;
  vehicleModel: string;
  vehicleColour: string;
  vehicleLicensePlate: string;
  businessName: string | null;
  hasMedicalAid: boolean | null;
  medicalConditions: string | null;
  medications: string | null;
  allergies: string | null;
  medicalAidNumber: string | null;
  medicalAidScheme: string | null;
  medicalAidPlan: string | null;
  bloodType: string | null;
  nextOfKinName: string | null;
  nextOfKinNumber: string | null;
  familyDoctorPhoneNumber: string | null;
  medicalOther: string | null;
  externalReferenceId: string | null;
  customerSourceId: number;
  auth0UserId: string;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

export interface SimSubscription {
  id: number;
  customerId: number;
  subscriptionTypeId: number;
  validFrom: string;
  validTo: string;
  CancelledDate: string | null;
  CancelledReason: string | null;
  subscriptionToken: string | null;
  dependantCustomerIds: number[];
  createdAt: string;
  updatedAt: string;
}

export interface SimResponder {
  id: number;
  callsign: string;
  vehicleMake: string;
  vehicleModel: string;
  vehicleColour: string;
  vehicleLicensePlate: string;
  latitude: number;
  longitude: number;
}

export interface SimCalloutEvent {
  id: number;
  calloutId: number;
  message: string;
  createdBy: string;
  createdAt: string;
}

export interface SimCallout {
  id: number;
  customerId: number | null;
  predefinedLocationId: number | null;
  externalRefId: string | null;
  siteExternalRefId: string | null;
  status: string;
  responseTypeId: number;
  calloutClassificationId: number;
  internalTest: boolean;
  cancelledByCustomer: boolean;
  latitude: number;
  longitude: number;
  accuracy: number;
  formattedAddress: string | null;
  createdAt: string;
  updatedAt: string;
  dispatchedAt: string | null;
  arrivedAt: string | null;
  completedAt: string | null;
  responder: SimResponder | null;
  eta: string | null;
  events: SimCalloutEvent[];
  /** ms epoch of the last status change, for the autopilot. */
  lastChangeMs: number;
}

export const CUSTOMER_SOURCE_ID = 591;
export const RESPONSE_TYPES = [
  {
    id: 1,
    value: 'SECURITY',
    description: 'Armed security response',
    enabledLocations: { fixedLocation: true, personalSafety: true },
  },
  {
    id: 2,
    value: 'MEDICAL',
    description: 'Medical response',
    enabledLocations: { fixedLocation: true, personalSafety: true },
  },
];
export const SUBSCRIPTION_TYPES = [
  { id: 12, value: 'WEB_SIGNUP_SINGLE' },
  { id: 13, value: 'WEB_SIGNUP_FAMILY' },
];

const iso = (ms: number) => new Date(ms).toISOString();

/** Development customers (contract §5): 184708 holds an active subscription, 184733 holds none. */
export function seedCustomers(nowMs: number): { customers: SimCustomer[]; subscriptions: SimSubscription[] } {
  const base = {
    gender: 'male',
    dateOfBirth: '1981-03-06T00:00:00Z',
    vehicleMake: 'Toyota',
    vehicleModel: 'Corolla',
    vehicleColour: 'white',
    vehicleLicensePlate: 'AB12CDGP',
    customerSourceId: CUSTOMER_SOURCE_ID,
    createdAt: '2024-11-04T20:08:12.564Z',
    updatedAt: '2024-11-04T20:08:12.564Z',
    deletedAt: null,
    externalReferenceId: null,
  };
  const customers: SimCustomer[] = [
    {
      ...base,
      id: 184708,
      name: 'WebhookTest2',
      surname: 'Test2',
      mobile: '+27821234567',
      email: 'test22@gmail.com',
      businessName: 'Liberty',
      hasMedicalAid: true,
      medicalConditions: 'Arthritis',
      medications: 'StilPayne',
      allergies: 'Shellfish',
      medicalAidNumber: '123456',
      medicalAidScheme: 'ProfMed',
      medicalAidPlan: null,
      bloodType: null,
      nextOfKinName: 'Anna',
      nextOfKinNumber: '+27831231234',
      familyDoctorPhoneNumber: '+27841231234',
      medicalOther: 'Body does not react well to serums',
      auth0UserId: 'bf0eb799-7079-44b7-8aa6-1b594a85b2c7',
    },
    {
      ...base,
      id: 184733,
      name: 'Test1',
      surname: 'MTest',
      mobile: '+31612345678',
      email: null,
      gender: '',
      businessName: null,
      hasMedicalAid: null,
      medicalConditions: null,
      medications: null,
      allergies: null,
      medicalAidNumber: null,
      medicalAidScheme: null,
      medicalAidPlan: null,
      bloodType: null,
      nextOfKinName: null,
      nextOfKinNumber: null,
      familyDoctorPhoneNumber: null,
      medicalOther: null,
      auth0UserId: 'tuBcheITw4XT45ty1UYyBnjXvTR9E0xmMmDB',
    },
  ];
  const subscriptions: SimSubscription[] = [
    {
      id: 318642,
      customerId: 184708,
      subscriptionTypeId: 12,
      validFrom: iso(nowMs - 30 * 86_400_000),
      validTo: iso(nowMs + 365 * 86_400_000),
      CancelledDate: null,
      CancelledReason: null,
      subscriptionToken: null,
      dependantCustomerIds: [],
      createdAt: iso(nowMs - 30 * 86_400_000),
      updatedAt: iso(nowMs - 30 * 86_400_000),
    },
  ];
  return { customers, subscriptions };
}

export function isSubscriptionActive(s: SimSubscription, nowMs: number): boolean {
  return s.CancelledDate === null && Date.parse(s.validFrom) <= nowMs && nowMs <= Date.parse(s.validTo);
}

/** The short customer record responder webhooks and reads embed. */
export function customerSummary(c: SimCustomer | undefined) {
  if (!c) return null;
  return {
    id: c.id,
    name: c.name,
    surname: c.surname,
    mobile: c.mobile,
    gender: c.gender,
    email: c.email,
    vehicleMake: c.vehicleMake,
    vehicleModel: c.vehicleModel,
    vehicleColour: c.vehicleColour,
    vehicleLicensePlate: c.vehicleLicensePlate,
    dateOfBirth: c.dateOfBirth,
    auth0UserId: c.auth0UserId,
    imageId: null,
    businessName: c.businessName,
    customerTypeId: null,
  };
}

/** The full customer record of CREATED_CUSTOMER / UPDATED_CUSTOMER (medical details included, as AURA sends them). */
export function customerRecord(c: SimCustomer) {
  const { deletedAt: _deleted, ...rest } = c;
  return {
    ...rest,
    imageId: null,
    customerTypeId: null,
    referredByCodeId: null,
    referredByCustomerId: null,
    authOtp: null,
    authOtpValidUntil: null,
    stripeCustomerId: null,
    duressCode: null,
    hasVehicle: null,
  };
}

/** The flat callout of the create answer (and of list routes). */
export function flatCallout(c: SimCallout, trackingBase: string) {
  return {
    id: c.id,
    customerId: c.customerId,
    predefinedLocationId: c.predefinedLocationId,
    status: c.status,
    latitude: c.latitude,
    longitude: c.longitude,
    responseTypeId: c.responseTypeId,
    calloutClassificationId: c.calloutClassificationId,
    internalTest: c.internalTest,
    externalRefId: c.externalRefId,
    createdAt: c.createdAt,
    url: `${trackingBase}/track/${c.id}`,
  };
}

function responderWire(r: SimResponder | null) {
  if (!r) return null;
  return {
    id: r.id,
    callsign: r.callsign,
    vehicleMake: r.vehicleMake,
    vehicleModel: r.vehicleModel,
    vehicleColour: r.vehicleColour,
    vehicleLicensePlate: r.vehicleLicensePlate,
    responseOfficer: null,
    responderLocation: {
      latitude: String(r.latitude),
      longitude: String(r.longitude),
      accuracy: 0,
      provider: null,
      region: null,
      city: null,
      country: null,
    },
  };
}

/** The nested read shape (`incidentInformation[]`), as "Get a callout" and the responder webhooks carry it. */
export function readCallout(c: SimCallout, customer: SimCustomer | undefined, trackingBase: string) {
  return {
    id: c.id,
    status: c.status,
    cancelledByCustomer: c.cancelledByCustomer,
    dispatchRequired: true,
    internalTest: c.internalTest,
    verified: true,
    url: `${trackingBase}/track/${c.id}`,
    externalRefId: c.externalRefId,
    customer: customerSummary(customer),
    incidentInformation: [
      {
        calloutId: c.id,
        status: c.status,
        createdAt: c.createdAt,
        calloutClassification: {
          id: c.calloutClassificationId,
          value: c.calloutClassificationId === 2 ? 'TEST' : 'REAL',
        },
        verified: true,
        responseType: {
          id: c.responseTypeId,
          value: RESPONSE_TYPES.find((r) => r.id === c.responseTypeId)?.value ?? 'SECURITY',
        },
        incidentDetails: null,
        typeOfEmergency: null,
        incidentcategory: null,
        calloutCurrentLocation: {
          latitude: String(c.latitude),
          longitude: String(c.longitude),
          formattedAddress: c.formattedAddress,
          region: null,
          city: null,
          country: null,
          description: null,
          placeId: null,
          calloutLocationType: null,
        },
        dispatchInformation: {
          responderDispatchedAt: c.dispatchedAt,
          responderArrivedAt: c.arrivedAt,
          responderCompletedAt: c.completedAt,
          responder: responderWire(c.responder),
          supplier: c.responder ? { id: 46, name: 'AURA Responder' } : null,
          calloutResponseEta: c.eta,
          responderRoute: null,
        },
        calloutEvents: c.events.map((e) => ({
          id: e.id,
          calloutId: e.calloutId,
          message: e.message,
          createdAt: e.createdAt,
        })),
      },
    ],
  };
}

/** NEW_CALLOUT's payload: the flat callout record with customer, source and location (seed NEW_CALLOUT.json). */
export function newCalloutPayload(c: SimCallout, customer: SimCustomer | undefined, trackingBase: string) {
  return {
    message: 'NEW_CALLOUT',
    callout: {
      id: c.id,
      cancelledByCustomer: c.cancelledByCustomer,
      status: c.status,
      verified: null,
      verifiedBy: null,
      verifiedAt: null,
      resolvedAt: null,
      loggedAt: c.createdAt,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
      lastUpdatedBy: null,
      lastUpdatedByClientId: null,
      source: 'API',
      dispatchRequired: true,
      acknowledged: false,
      firstAcknowledgedBy: null,
      firstAcknowledgedAt: null,
      owned: false,
      ownedBy: null,
      ownedAt: null,
      messageId: null,
      calloutClassificationId: c.calloutClassificationId,
      calloutLocationTypeId: null,
      internalTest: c.internalTest,
      responseTypeId: c.responseTypeId,
      parentCalloutId: null,
      regionId: 1,
      inCoverage: true,
      escalated: false,
      escalatedAt: null,
      escalatedBy: null,
      routedControlCentre: false,
      externalRefId: c.externalRefId,
      customerSourceId: CUSTOMER_SOURCE_ID,
      customerId: c.customerId,
      integrationUserId: null,
      ownedByUserId: null,
      calloutResponderInRanges: [],
      customer: customer ? { ...customerRecord(customer) } : null,
      customerSource: { id: CUSTOMER_SOURCE_ID, description: 'aura-callouts simulator' },
      calloutAdditionalContacts: [],
      calloutGuardingDetail: null,
      calloutAdditionalLocations: [],
      url: `${trackingBase}/track/${c.id}`,
      location: { calloutId: c.id, latitude: String(c.latitude), longitude: String(c.longitude), accuracy: c.accuracy },
    },
  };
}

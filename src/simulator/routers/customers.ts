// The Panic API's customers and subscriptions: create (with a subscription, or as a dependant of one), read,
// update, delete; subscription types, activate, read, list per customer, cancel; each with the webhook AURA sends.
// The read-back rate limit and the lost create answers are onboarding.ts's, mounted ahead of this router.
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import {
  CUSTOMER_SOURCE_ID,
  SUBSCRIPTION_TYPES,
  customerRecord,
  type SimCustomer,
  type SimSubscription,
} from '../data.js';
import { OK_MESSAGE, nowIso, type SimContext } from '../context.js';

export function customersRouter({ state, emit }: SimContext): Router {
  const router = Router();

  router.post('/customers', (req, res) => {
    const body = (req.body ?? {}) as Record<string, any>;
    const c = (body.customer ?? body) as Record<string, any>;
    const name = c.name ?? c.firstName;
    const surname = c.surname ?? c.lastName;
    const mobile = c.mobile ?? c.mobileNumber;
    if (!name || !surname || !mobile)
      return void res.status(400).json({ message: 'name, surname and mobile are required' });
    if (body.subscription && body.subscriptionId)
      return void res.status(400).json({ message: 'subscription and subscriptionId are mutually exclusive' });
    for (const existing of state.customers.values()) {
      if (existing.mobile === mobile && !existing.deletedAt)
        return void res.status(409).json({ message: 'A customer with this mobile number already exists' });
    }
    const now = nowIso();
    const customer: SimCustomer = {
      id: state.nextId.customer++,
      name,
      surname,
      mobile,
      email: c.email ?? null,
      gender: c.gender ?? '',
      dateOfBirth: c.dateOfBirth ?? null,
      vehicleMake: c.vehicleMake ?? '',
      vehicleModel: c.vehicleModel ?? '',
      vehicleColour: c.vehicleColour ?? '',
      vehicleLicensePlate: c.vehicleLicensePlate ?? '',
      businessName: c.businessName ?? null,
      hasMedicalAid: c.hasMedicalAid ?? null,
      medicalConditions: c.medicalConditions ?? null,
      medications: c.medications ?? null,
      allergies: c.allergies ?? null,
      medicalAidNumber: c.medicalAidNumber ?? null,
      medicalAidScheme: c.medicalAidScheme ?? null,
      medicalAidPlan: c.medicalAidPlan ?? null,
      bloodType: c.bloodType ?? null,
      nextOfKinName: c.nextOfKinName ?? null,
      nextOfKinNumber: c.nextOfKinNumber ?? null,
      familyDoctorPhoneNumber: c.familyDoctorPhoneNumber ?? null,
      medicalOther: c.medicalOther ?? null,
      externalReferenceId: c.externalReferenceId ?? null,
      customerSourceId: CUSTOMER_SOURCE_ID,
      auth0UserId: randomBytes(12).toString('hex'),
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    state.customers.set(customer.id, customer);
    emit(
      'CREATED_CUSTOMER',
      { message: 'CREATED_CUSTOMER', customer: { ...customerRecord(customer), subscriptions: [] } },
      null,
    );
    let subscription: SimSubscription | undefined;
    if (body.subscription) {
      subscription = createSubscription(customer.id, body.subscription);
    } else if (body.subscriptionId) {
      const s = state.subscriptions.get(Number(body.subscriptionId));
      if (s) s.dependantCustomerIds.push(customer.id);
    }
    res.status(201).json({
      message: 'Customer created',
      customer: { ...customerRecord(customer), subscriptions: subscription ? [subscription] : [] },
    });
  });

  router.get('/customers/:customerId', (req, res) => {
    const c = state.customers.get(Number(req.params.customerId));
    if (!c || c.deletedAt) return void res.status(404).json({ message: 'Customer not found' });
    res.json({ message: 'Customer retrieved', customer: customerRecord(c) });
  });

  router.put('/customers/:customerId', (req, res) => {
    const c = state.customers.get(Number(req.params.customerId));
    if (!c || c.deletedAt) return void res.status(404).json({ message: 'Customer not found' });
    const patch = ((req.body ?? {}).customer ?? req.body ?? {}) as Partial<SimCustomer>;
    for (const [k, v] of Object.entries(patch)) {
      if (k !== 'id' && k in c) (c as unknown as Record<string, unknown>)[k] = v;
    }
    c.updatedAt = nowIso();
    emit('UPDATED_CUSTOMER', { message: 'UPDATED_CUSTOMER', customer: customerRecord(c) }, null);
    res.json({ message: 'Customer updated', customer: customerRecord(c) });
  });

  router.post('/customers/:customerId/delete', (req, res) => {
    const c = state.customers.get(Number(req.params.customerId));
    if (!c || c.deletedAt) return void res.status(404).json({ message: 'Customer not found' });
    c.deletedAt = nowIso();
    res.json(OK_MESSAGE);
  });

  // ---- subscriptions --------------------------------------------------------------------------------------------

  function createSubscription(customerId: number, input: Record<string, any>): SimSubscription {
    const now = Date.now();
    const s: SimSubscription = {
      id: state.nextId.subscription++,
      customerId,
      subscriptionTypeId: Number(input.subscriptionTypeId ?? SUBSCRIPTION_TYPES[0]!.id),
      validFrom: input.validFrom ?? new Date(now).toISOString(),
      validTo: input.validTo ?? new Date(now + 365 * 86_400_000).toISOString(),
      CancelledDate: null,
      CancelledReason: null,
      subscriptionToken: null,
      dependantCustomerIds: Array.isArray(input.dependantCustomerIds) ? input.dependantCustomerIds.map(Number) : [],
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
    };
    state.subscriptions.set(s.id, s);
    const { dependantCustomerIds: _d, ...wire } = s;
    emit(
      'SUBSCRIPTION_CREATED',
      { message: 'Successfully activated customer subscription', subscription: wire, dependantLinks: [] },
      null,
    );
    return s;
  }

  router.get(
    '/subscriptions/subscriptionTypes',
    (_req, res) => void res.json({ message: 'Subscription types', subscriptionTypes: SUBSCRIPTION_TYPES }),
  );

  router.post('/subscriptions', (req, res) => {
    const body = (req.body ?? {}) as Record<string, any>;
    const customerId = Number(body.customerId);
    if (!state.customers.has(customerId)) return void res.status(400).json({ message: 'Unknown customerId' });
    if (state.hasActiveSubscription(customerId))
      return void res.status(409).json({ message: 'Customer already has an active subscription' });
    const s = createSubscription(customerId, body);
    res.status(201).json({ message: 'Subscription activated', subscription: s });
  });

  router.get('/subscriptions/:subscriptionId', (req, res) => {
    const s = state.subscriptions.get(Number(req.params.subscriptionId));
    if (!s) return void res.status(404).json({ message: 'Subscription not found' });
    res.json({
      message: 'Subscription retrieved',
      subscription: { ...s, dependents: s.dependantCustomerIds.map((id) => ({ customerId: id })) },
    });
  });

  router.get('/customers/:customerId/subscriptions', (req, res) => {
    const customerId = Number(req.params.customerId);
    if (!state.customers.has(customerId)) return void res.status(404).json({ message: 'Customer not found' });
    res.json([...state.subscriptions.values()].filter((s) => s.customerId === customerId));
  });

  router.delete('/subscriptions/:subscriptionId', (req, res) => {
    const s = state.subscriptions.get(Number(req.params.subscriptionId));
    if (!s) return void res.status(404).json({ message: 'Subscription not found' });
    s.CancelledDate = nowIso();
    s.CancelledReason = (req.body?.reason as string | undefined) ?? 'Cancelled by integration';
    s.updatedAt = s.CancelledDate;
    const { dependantCustomerIds: _d, ...wire } = s;
    emit('SUBSCRIPTION_CANCELLED', { message: 'SUBSCRIPTION_CANCELLED', subscription: wire }, null);
    res.json({ message: 'Request completed successfully.', subscriptionToken: null });
  });

  return router;
}

// Request schemas of the intake API. The same schemas validate requests and generate the OpenAPI document.
import { z } from 'zod';

export const Latitude = z.number().min(-90).max(90);
export const Longitude = z.number().min(-180).max(180);

export const LiveLocation = z.object({
  latitude: Latitude,
  longitude: Longitude,
  accuracy: z.number().min(0).max(100_000).optional(),
});

export const IncidentIdParam = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only, starting with a letter or digit');

export const CreateCalloutBody = z
  .object({
    incidentId: IncidentIdParam.optional(),
    customerId: z.number().int().positive(),
    responseType: z.string().min(1).max(50).optional(),
    responseTypeId: z.number().int().positive().optional(),
    location: LiveLocation.optional(),
    predefinedLocationId: z.number().int().positive().optional(),
    notes: z.string().max(2000).optional(),
    test: z.boolean().optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const hasLoc = b.location !== undefined;
    const hasPre = b.predefinedLocationId !== undefined;
    if (hasLoc === hasPre) {
      const message = hasLoc ? 'give either location or predefinedLocationId, not both' : 'one of location and predefinedLocationId is required';
      ctx.addIssue({ code: 'custom', path: ['location'], message });
      ctx.addIssue({ code: 'custom', path: ['predefinedLocationId'], message });
    }
    if (b.responseType !== undefined && b.responseTypeId !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['responseTypeId'], message: 'give either responseType or responseTypeId, not both' });
    }
  });
export type CreateCalloutBody = z.output<typeof CreateCalloutBody>;

export const ListCalloutsQuery = z.object({
  status: z.enum(['active', 'closed', 'all']).default('active'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const LocationBody = LiveLocation.strict();

export const NoteBody = z.object({ text: z.string().trim().min(1).max(2000), author: z.string().trim().min(1).max(100).optional() }).strict();

export const CancelBody = z
  .object({
    safeCode: z.string().regex(/^\d{4}$/, 'the last four digits of the customer\'s mobile number').optional(),
    reasons: z.array(z.string().trim().min(1).max(200)).max(10).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.safeCode !== undefined && b.reasons !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['safeCode'], message: 'give safeCode (customer cancellation) or reasons (integration cancellation), not both' });
      ctx.addIssue({ code: 'custom', path: ['reasons'], message: 'give safeCode (customer cancellation) or reasons (integration cancellation), not both' });
    }
  });

export const RatingBody = z.object({ rating: z.number().int().min(1).max(5), comment: z.string().trim().max(2000).optional() }).strict();

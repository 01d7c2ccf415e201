// What the Fixed Location routes' OpenAPI entries share: their tag, and that they are documented only when the
// Fixed Location adapter is configured.
import type { ResolvedDocumentContext } from '../openapi.js';

export const tags = ['Fixed Locations'];
export const fixedLocations = { when: (ctx: ResolvedDocumentContext) => ctx.fixedLocations };

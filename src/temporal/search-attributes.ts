// Custom search attributes the workflows keep current so that the Temporal UI can filter incidents and callouts.
// Workflow-safe (only @temporalio/common). The dev-server bootstrap registers exactly these.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const IncidentIdKey = defineSearchAttributeKey('IncidentId', SearchAttributeType.KEYWORD);
export const AuraCalloutIdKey = defineSearchAttributeKey('AuraCalloutId', SearchAttributeType.INT);
export const CalloutStatusKey = defineSearchAttributeKey('CalloutStatus', SearchAttributeType.KEYWORD);
export const CalloutPhaseKey = defineSearchAttributeKey('CalloutPhase', SearchAttributeType.KEYWORD);

/** name → Temporal CLI type name, for `temporal server start-dev --search-attribute NAME=TYPE`. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'Int'> = {
  IncidentId: 'Keyword',
  AuraCalloutId: 'Int',
  CalloutStatus: 'Keyword',
  CalloutPhase: 'Keyword',
};

export const ALL_SEARCH_ATTRIBUTE_KEYS = [IncidentIdKey, AuraCalloutIdKey, CalloutStatusKey, CalloutPhaseKey];

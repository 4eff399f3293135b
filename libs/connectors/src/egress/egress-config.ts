import type { AppConfig } from '@switchboard/common';
import { EgressPolicy } from './egress-policy';
import { metadataDatabaseTargets } from './metadata-database';

/** The policy from SWITCHBOARD_EGRESS_DENY / _ALLOW (validated at boot), never reaching our own database. */
export const egressPolicyFor = (config: AppConfig): EgressPolicy =>
  EgressPolicy.parse({ deny: config.egress.deny, allow: config.egress.allow, protectedTargets: metadataDatabaseTargets(config.database) });

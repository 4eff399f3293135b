import { parseEnvironment } from './environment';
import { ResolvedConfig, resolveSecrets } from './instance-secrets';

/** The one place that reads process.env. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ResolvedConfig {
  return resolveSecrets(parseEnvironment(env));
}

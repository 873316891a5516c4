/**
 * YAML parsing (the `yaml` package, YAML 1.2), loaded on first use: most agents read no YAML at all
 * (configuration from env and flags), and the parser costs about 10 MB of RSS once imported.
 */
import { createRequire } from 'node:module';

type YamlModule = typeof import('yaml');
let yaml: YamlModule | undefined;

/**
 * Parse one YAML document into plain values.
 * @throws the parser's `YAMLParseError` on malformed text
 */
export function parseYaml(text: string): unknown {
  yaml ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return yaml.parse(text);
}

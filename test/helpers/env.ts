/**
 * The environment a build or command sees in tests: the machine's, less every variable this package
 * reads, so that a developer's or CI's own VERCEL_* or IMAGE_INVALIDATE_* settings cannot change a result.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(VERCEL|IMAGE_INVALIDATE)/.test(key) || key === 'NODE_ENV') continue
    env[key] = value
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value
  // Next.js's types declare NODE_ENV required; a child process may well run without it.
  return env as NodeJS.ProcessEnv
}

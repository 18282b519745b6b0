// @ts-check
/**
 * Bodies of the size and shape Vercel's REST API sends, as `@vercel/sdk` publishes them: a project with its
 * environment variables, latest deployments and production deployment in full, and a deployment in the
 * owner's full view. The API stand-in answers with these, and checks every one against the SDK's schemas
 * (./vercel-schemas.mjs), so that nothing here can drift from what the real API could send.
 */
import { createHash } from 'node:crypto'

const CREATED = 1_767_225_600_000 // 2026-01-01
const OWNER = 'team_standin0000000000000000'
const creator = { email: 'dev@example.com', uid: 'user_standin000000000000', username: 'dev' }

/**
 * A deployment as a project lists it (`targets.production`, `latestDeployments`): the SDK's
 * `GetProjectTargets` / `GetProjectLatestDeployments` shape.
 * @param {{ id: string, url: string, readyState: string, readySubstate?: string, name: string }} deployment
 */
export function listedDeployment({ id, url, readyState, readySubstate, name }) {
  return {
    alias: [`${name}.vercel.app`, `${name}-git-main-acme.vercel.app`],
    aliasAssigned: readyState === 'READY' ? CREATED + 60_000 : null,
    aliasError: null,
    automaticAliases: [`${name}-acme.vercel.app`],
    builds: [],
    buildingAt: CREATED + 1_000,
    checksConclusion: 'succeeded',
    checksState: 'completed',
    createdAt: CREATED,
    createdIn: 'iad1',
    creator,
    deploymentHostname: url.replace(/^https?:\/\//, ''),
    forced: false,
    id,
    meta: { githubCommitSha: 'a'.repeat(40), githubCommitRef: 'main', githubCommitMessage: `deploy ${id}`, githubRepo: name, githubOrg: 'acme' },
    name,
    plan: 'pro',
    previewCommentsEnabled: false,
    private: true,
    readyAt: CREATED + 60_000,
    readyState,
    ...(readySubstate ? { readySubstate } : {}),
    requestedAt: CREATED,
    target: 'production',
    teamId: OWNER,
    type: 'LAMBDAS',
    url,
    userId: creator.uid,
    withCache: false,
  }
}

/**
 * One environment variable as `GET /v9/projects` lists it: encrypted values are long.
 * @param {number} index
 */
export function environmentVariable(index) {
  return {
    comment: '',
    configurationId: null,
    createdAt: CREATED + index,
    createdBy: creator.uid,
    decrypted: false,
    id: `env_${String(index).padStart(16, '0')}`,
    key: `SETTING_${index}_${'X'.repeat(12)}`,
    target: ['production', 'preview'],
    type: 'encrypted',
    updatedAt: CREATED + index,
    updatedBy: creator.uid,
    value: `eyJ2IjoidjIiLCJlbmMiOiJ${'Q'.repeat(420)}${index}`,
  }
}

/**
 * A variable the stand-in stores, as the API lists and answers it: the value encrypted (a sensitive one
 * cannot be read back at all).
 * @param {{ id: string, key: string, value: string, type: string, target: string[], createdAt: number, updatedAt: number }} variable
 */
export function storedVariable({ id, key, value, type, target, createdAt, updatedAt }) {
  const encrypted = Buffer.from(JSON.stringify({ v: 'v2', enc: createHash('sha256').update(value).digest('base64') })).toString('base64')
  return {
    comment: '',
    configurationId: null,
    createdAt,
    createdBy: creator.uid,
    decrypted: false,
    id,
    key,
    target,
    type,
    updatedAt,
    updatedBy: creator.uid,
    value: type === 'sensitive' ? '' : encrypted,
  }
}

/**
 * An account webhook as `GET /v1/webhooks` lists it, with the projects' metadata when `project` is given
 * (the list), without when not (what `POST /v1/webhooks` answers, with the secret added).
 * @param {{ id: string, url: string, events: string[], projectIds: string[], createdAt: number }} webhook
 * @param {{ id: string, name: string }} [project]
 */
export function webhookBody({ id, url, events, projectIds, createdAt }, project) {
  return {
    createdAt,
    events,
    id,
    ownerId: OWNER,
    projectIds,
    ...(project ? { projectsMetadata: projectIds.map((projectId) => ({ id: projectId, name: project.name })) } : {}),
    updatedAt: createdAt,
    url,
  }
}

/**
 * `GET /v9/projects/{idOrName}`, full size: `envCount` environment variables and `latest` (up to 10)
 * latest deployments, as a project that has been in use a while has.
 * @param {{
 *   id: string, name: string,
 *   production: ReturnType<typeof listedDeployment> | null,
 *   latest: ReturnType<typeof listedDeployment>[],
 *   lastAliasRequest: { fromDeploymentId: string | null, toDeploymentId: string, type: string, jobStatus: string, requestedAt: number } | null,
 *   envCount: number,
 * }} project
 */
export function projectBody({ id, name, production, latest, lastAliasRequest, envCount }) {
  return {
    accountId: OWNER,
    alias: production ? [{ domain: `${name}.example.com`, environment: 'production', target: 'PRODUCTION', deployment: null }] : [],
    autoAssignCustomDomains: true,
    autoExposeSystemEnvs: true,
    buildCommand: null,
    createdAt: CREATED,
    defaultResourceConfig: { functionDefaultRegions: ['iad1'] },
    deploymentExpiration: { expirationDays: 90, expirationDaysProduction: 365 },
    devCommand: null,
    directoryListing: false,
    env: Array.from({ length: envCount }, (_, index) => environmentVariable(index)),
    framework: 'nextjs',
    gitForkProtection: true,
    id,
    installCommand: null,
    lastAliasRequest,
    latestDeployments: latest.slice(0, 10),
    live: false,
    name,
    nodeVersion: '24.x',
    outputDirectory: null,
    resourceConfig: { functionDefaultRegions: ['iad1'] },
    rootDirectory: null,
    serverlessFunctionZeroConfigFailover: false,
    skewProtectionMaxAge: 43_200,
    sourceFilesOutsideRootDirectory: true,
    targets: production ? { production } : {},
    updatedAt: CREATED,
  }
}

/**
 * `GET /v13/deployments/{idOrUrl}` in the owner's full view (the SDK's `GetDeploymentResponseBody2`), with
 * the routes and functions a real build has.
 * @param {{
 *   id: string, url: string, name: string, projectId: string, readyState: string, readySubstate?: string,
 *   aliasAssigned: boolean, aliasError: { code: string, message: string } | null,
 * }} deployment
 */
export function deploymentBody({ id, url, name, projectId, readyState, readySubstate, aliasAssigned, aliasError }) {
  return {
    alias: aliasAssigned ? [`${name}.example.com`] : [],
    aliasAssigned,
    aliasError,
    automaticAliases: [`${name}-acme.vercel.app`],
    bootedAt: CREATED,
    build: { env: [] },
    buildingAt: CREATED + 1_000,
    buildSkipped: false,
    createdAt: CREATED,
    createdIn: 'iad1',
    creator: { uid: creator.uid, username: creator.username },
    env: [],
    id,
    inspectorUrl: `https://vercel.com/acme/${name}/${id.replace(/^dpl_/, '')}`,
    isInConcurrentBuildsQueue: false,
    isInSystemBuildsQueue: false,
    lambdas: Array.from({ length: 20 }, (_, index) => ({
      id: `lmb_${index}`,
      entrypoint: null,
      output: [{ functionName: `page${index}`, path: `/page/${index}` }],
    })),
    meta: { githubCommitSha: 'a'.repeat(40), githubCommitRef: 'main' },
    name,
    ownerId: OWNER,
    plan: 'pro',
    projectId,
    projectSettings: { framework: 'nextjs', nodeVersion: '24.x' },
    public: false,
    readyState,
    ...(readySubstate ? { readySubstate } : {}),
    regions: ['iad1'],
    routes: [
      { handle: 'filesystem' },
      ...Array.from({ length: 200 }, (_, index) => ({ src: `^/page/${index}(?:/)?$`, dest: `/page/${index}`, check: true })),
      { handle: 'miss' },
    ],
    status: readyState,
    target: 'production',
    type: 'LAMBDAS',
    url,
    version: 2,
  }
}

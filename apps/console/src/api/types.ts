import type { components } from '../../generated/openapi';

type Schemas = components['schemas'];
export type Problem = Schemas['ProblemDto'];
export type FieldError = Schemas['FieldErrorDto'];
export type Project = Schemas['ProjectDto'];
export type Connection = Schemas['ConnectionDto'];
export type ConnectionType = Schemas['ConnectionTypeDto'];
export type ConnectionTypeName = ConnectionType['type'];
export type SecretField = Schemas['SecretFieldDto'];
export type TestResult = Schemas['TestResultDto'];
export type Scope = Schemas['ApiKeyDto']['scopes'][number];
export type ApiKey = Schemas['ApiKeyDto'];
export type CreatedApiKey = Schemas['CreatedApiKeyDto'];
export type Me = Schemas['MeDto'];
export type ResultColumn = Schemas['ResultColumnDto'];
export type Table = Schemas['TableDto'];
export type Column = Schemas['ColumnDto'];
export type TokenPair = Schemas['TokenPairDto'];

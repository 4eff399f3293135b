import { applyDecorators, SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'switchboard:public';
/** @nestjs/swagger's security metadata key: an empty list documents "no credentials needed". */
const SWAGGER_SECURITY = 'swagger/apiSecurity';

/** Opts a route out of authentication (login, health, docs). */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), SetMetadata(SWAGGER_SECURITY, []));

import { ApiConsumes } from '@nestjs/swagger';
import { MERGE_PATCH_CONTENT_TYPE } from '../http/request-hooks';

/** A PATCH taking a JSON merge patch (RFC 7396): sent as application/json or as its own media type. */
export const ApiMergePatch = (): MethodDecorator => ApiConsumes('application/json', MERGE_PATCH_CONTENT_TYPE);

import { applyDecorators, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { forbidden } from '@switchboard/common';
import type { Principal } from '../principal';

@Injectable()
export class InstanceAdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<{ user: Principal }>().user;
    if (principal?.kind === 'user' && principal.isAdmin) return true;
    throw forbidden('Only instance admins can do this, and only when signed in (not with an API key).');
  }
}

export const InstanceAdminOnly = (): MethodDecorator & ClassDecorator => applyDecorators(UseGuards(InstanceAdminGuard));

import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { conflict, notFound, Page, PageQueryDto, pageWindow, toPage, uuidv7 } from '@switchboard/common';
import { PasswordHasher } from '@switchboard/crypto';
import { AuthCache } from '../cache/auth-cache';
import { SessionsRepository } from '../sessions/sessions.repository';
import { CreateUserDto, toUserDto, UpdateUserDto, UserDto } from './user.dto';
import { UserEntity } from './user.entity';
import { UsersRepository, UserWithPassword } from './users.repository';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly passwords: PasswordHasher,
    private readonly audit: AuditService,
    private readonly cache: AuthCache,
  ) {}

  async list(query: PageQueryDto): Promise<Page<UserDto>> {
    const [rows, total] = await this.users.list(pageWindow(query));
    return toPage(rows, total, query, toUserDto);
  }

  async get(id: string): Promise<UserDto> {
    return toUserDto(await this.require(id));
  }

  async create(actor: AuditActor, dto: CreateUserDto): Promise<UserDto> {
    const user = await this.createEntity(dto);
    await this.audit.record({
      actor,
      action: 'user.create',
      target: { type: 'user', id: user.id, name: user.email },
      details: { isAdmin: user.isAdmin },
    });
    return toUserDto(user);
  }

  /** Also used by first-run bootstrap, which needs the entity. */
  async createEntity(dto: CreateUserDto): Promise<UserEntity> {
    const now = new Date();
    return this.users.insert({
      id: uuidv7(),
      email: dto.email.toLowerCase(),
      name: dto.name,
      passwordHash: await this.passwords.hash(dto.password),
      isAdmin: dto.isAdmin ?? false,
      disabled: false,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
    });
  }

  async update(actor: AuditActor, id: string, dto: UpdateUserDto): Promise<UserDto> {
    const user = await this.require(id);
    if (id === actor.userId && (dto.isAdmin === false || dto.disabled === true)) {
      throw conflict('You cannot disable yourself or drop your own admin rights; ask another admin.');
    }
    const now = new Date();
    const changes: Partial<UserWithPassword> = { updatedAt: now };
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.isAdmin !== undefined) changes.isAdmin = dto.isAdmin;
    if (dto.disabled !== undefined) changes.disabled = dto.disabled;
    if (dto.password !== undefined) changes.passwordHash = await this.passwords.hash(dto.password);
    await this.users.update(id, changes);
    // A new password or a disabled account ends every session at once.
    if (dto.password !== undefined || (dto.disabled && !user.disabled)) {
      await this.sessions.revokeAllForUser(id, dto.disabled ? 'user-disabled' : 'password-changed', now);
    }
    // Keys and sessions carry the user's disabled and admin flags: drop them everywhere.
    await this.cache.changed({ kind: 'user', id });
    await this.audit.record({
      actor,
      action: 'user.update',
      target: { type: 'user', id, name: user.email },
      details: { fields: Object.keys(dto).filter((field) => dto[field as keyof UpdateUserDto] !== undefined) },
    });
    return this.get(id);
  }

  hasAnyUser(): Promise<boolean> {
    return this.users.count().then((count) => count > 0);
  }

  private async require(id: string): Promise<UserEntity> {
    const user = await this.users.findById(id);
    if (!user) throw notFound('User');
    return user;
  }
}

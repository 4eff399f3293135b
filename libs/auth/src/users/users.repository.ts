import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { conflict, PageWindow } from '@switchboard/common';
import { isUniqueViolation } from '@switchboard/database';
import { Repository } from 'typeorm';
import { UserEntity } from './user.entity';

export type UserWithPassword = UserEntity & { passwordHash: string };

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  findByIds(ids: string[]): Promise<UserEntity[]> {
    return ids.length ? this.users.createQueryBuilder('u').where('u.id IN (:...ids)', { ids }).getMany() : Promise.resolve([]);
  }

  findWithPasswordByEmail(email: string): Promise<UserWithPassword | null> {
    return this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email: email.toLowerCase() })
      .getOne() as Promise<UserWithPassword | null>;
  }

  list(window: PageWindow): Promise<[UserEntity[], number]> {
    return this.users.findAndCount({ order: { email: 'ASC' }, ...window });
  }

  count(): Promise<number> {
    return this.users.count();
  }

  async insert(user: UserWithPassword): Promise<UserEntity> {
    try {
      await this.users.insert(user);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A user with email ${user.email} already exists.`);
      throw error;
    }
    return (await this.findById(user.id))!;
  }

  async update(id: string, changes: Partial<UserWithPassword>): Promise<void> {
    await this.users.update({ id }, changes);
  }
}

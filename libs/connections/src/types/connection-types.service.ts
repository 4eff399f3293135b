import { Injectable } from '@nestjs/common';
import { notFound } from '@switchboard/common';
import { ConnectionTypeRegistry } from '@switchboard/connectors';
import { ConnectionTypeDto, ConnectionTypeListDto, toConnectionTypeDto } from './connection-type.dto';

@Injectable()
export class ConnectionTypesService {
  constructor(private readonly registry: ConnectionTypeRegistry) {}

  list(): ConnectionTypeListDto {
    return { data: this.registry.list().map(toConnectionTypeDto) };
  }

  get(type: string): ConnectionTypeDto {
    const definition = this.registry.find(type);
    if (!definition) throw notFound('Connection type');
    return toConnectionTypeDto(definition);
  }
}

import { Module } from '@nestjs/common';
import { ConnectionsModule } from '@switchboard/connections';
import { ConnectorsModule } from '@switchboard/connectors';
import { CredentialsModule } from '@switchboard/credentials';
import { ConnectionTestController } from './connection-test.controller';
import { ConnectionTestService } from './connection-test.service';
import { OutboundLimits } from './outbound-limits';

@Module({
  imports: [ConnectionsModule, ConnectorsModule, CredentialsModule],
  controllers: [ConnectionTestController],
  providers: [ConnectionTestService, OutboundLimits],
})
export class IntrospectionModule {}

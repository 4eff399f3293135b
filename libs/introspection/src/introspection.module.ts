import { Module } from '@nestjs/common';
import { ConnectionsModule } from '@switchboard/connections';
import { ConnectorsModule } from '@switchboard/connectors';
import { ProjectsModule } from '@switchboard/projects';
import { ConnectionTestController } from './connection-test.controller';
import { ConnectionTestService } from './connection-test.service';
import { IntrospectionController } from './introspection.controller';
import { IntrospectionService } from './introspection.service';
import { Outbound } from './outbound';
import { OutboundLimits } from './outbound-limits';
import { OutboundMetrics } from './outbound-metrics';

@Module({
  imports: [ConnectionsModule, ConnectorsModule, ProjectsModule],
  controllers: [ConnectionTestController, IntrospectionController],
  providers: [ConnectionTestService, IntrospectionService, Outbound, OutboundLimits, OutboundMetrics],
})
export class IntrospectionModule {}

export * from './connection-test.dto';
export * from './connection-test.service';
export * from './outbound-limits';
export * from './introspection.module';
export * from './test-email.dto';
export * from './introspection.dto';
export * from './introspection.service';
export * from './outbound';

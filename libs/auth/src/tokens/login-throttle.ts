import { Injectable } from '@nestjs/common';
import { FixedWindowLimiter, rateLimited } from '@switchboard/common';

/**
 * Slows password guessing by counting failed logins: per account and address, and per
 * address alone (spraying many accounts). Successes are not counted, so many users behind
 * one proxy can still sign in. In-process: each instance counts for itself.
 */
@Injectable()
export class LoginThrottle {
  private readonly perAccount = new FixedWindowLimiter(10, 60_000);
  private readonly perAddress = new FixedWindowLimiter(60, 60_000);

  /** Throws 429 when either budget of failures is spent. */
  check(email: string, address: string): void {
    for (const decision of [this.perAccount.peek(accountKey(email, address)), this.perAddress.peek(address)]) {
      if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
    }
  }

  failed(email: string, address: string): void {
    this.perAccount.hit(accountKey(email, address));
    this.perAddress.hit(address);
  }

  succeeded(email: string, address: string): void {
    this.perAccount.reset(accountKey(email, address));
  }
}

const accountKey = (email: string, address: string): string => `${address}|${email}`;

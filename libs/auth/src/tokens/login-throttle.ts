import { Injectable } from '@nestjs/common';
import { FixedWindowLimiter, rateLimited } from '@switchboard/common';

/**
 * Slows password guessing: per account and address, and per address alone (spraying many
 * accounts). In-process: each instance counts for itself.
 */
@Injectable()
export class LoginThrottle {
  private readonly perAccount = new FixedWindowLimiter(10, 60_000);
  private readonly perAddress = new FixedWindowLimiter(60, 60_000);

  check(email: string, address: string): void {
    for (const decision of [this.perAccount.hit(`${address}|${email}`), this.perAddress.hit(address)]) {
      if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
    }
  }

  succeeded(email: string, address: string): void {
    this.perAccount.reset(`${address}|${email}`);
  }
}

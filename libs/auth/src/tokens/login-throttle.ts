import { Injectable } from '@nestjs/common';
import { RateLimits, rateLimited, WindowCounter } from '@switchboard/common';

/**
 * Slows password guessing by counting failed logins: per account and address, and per
 * address alone (spraying many accounts). Every attempt is counted before its password is
 * checked, so concurrent guesses cannot all slip past; a success takes its count back, so many
 * users behind one proxy can still sign in. Counted where every instance sees it (RateLimits).
 */
@Injectable()
export class LoginThrottle {
  private readonly perAccount: WindowCounter;
  private readonly perAddress: WindowCounter;

  constructor(limits: RateLimits) {
    this.perAccount = limits.windows('login-account', 10, 60_000);
    this.perAddress = limits.windows('login-address', 60, 60_000);
  }

  /** Counts an attempt as failed until `succeeded` says otherwise; throws 429 when either budget is spent. */
  async attempt(email: string, address: string): Promise<void> {
    // The account first: a locked account's guesses do not also spend its address's budget.
    const account = await this.perAccount.hit(accountKey(email, address));
    if (!account.allowed) throw rateLimited(account.retryAfterSeconds);
    const perAddress = await this.perAddress.hit(address);
    if (!perAddress.allowed) throw rateLimited(perAddress.retryAfterSeconds);
  }

  async succeeded(email: string, address: string): Promise<void> {
    await Promise.all([this.perAccount.reset(accountKey(email, address)), this.perAddress.refund(address)]);
  }
}

const accountKey = (email: string, address: string): string => `${address}|${email}`;

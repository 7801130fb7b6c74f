import type { ApolloServerPlugin } from '@apollo/server';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Prometheus metrics at /metrics: process defaults plus GraphQL operations and their errors. */
export class Metrics {
  private readonly registry = new Registry();
  private readonly duration = new Histogram({
    name: 'graphql_request_duration_seconds',
    help: 'GraphQL request duration by operation',
    labelNames: ['operation', 'type'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'graphql_errors_total',
    help: 'GraphQL errors by code',
    labelNames: ['code'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- works with any context
  apolloPlugin(): ApolloServerPlugin<any> {
    const { duration, errors } = this;
    return {
      async requestDidStart() {
        const end = duration.startTimer();
        return {
          async didEncounterErrors({ errors: list }) {
            for (const error of list) errors.inc({ code: String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
          },
          async willSendResponse({ operationName, operation }) {
            end({ operation: operationName ?? 'anonymous', type: operation?.operation ?? 'unknown' });
          },
        };
      },
    };
  }
}

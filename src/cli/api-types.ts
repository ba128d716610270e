/**
 * The HTTP API's request and response types, generated from the app's /openapi.json by
 * `npm run api:types` (scripts/api-types.ts). Do not edit: change the route schemas and
 * regenerate; test/api-types.test.ts fails while this file differs from what the routes produce.
 */
export interface paths {
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Health of the platform and its dependencies */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "healthy" | "degraded" | "unhealthy";
                            /** @enum {string} */
                            database: "connected" | "disconnected";
                            /** @enum {string} */
                            redis: "connected" | "disconnected" | "not_configured";
                            /**
                             * @description degraded: a provider circuit breaker is open or half-open (see providers)
                             * @enum {string}
                             */
                            agents: "operational" | "degraded" | "no_agents" | "unknown";
                            providers: {
                                provider: string;
                                /** @enum {string} */
                                state: "closed" | "half_open" | "open";
                                half_open_at: string | null;
                                last_error: string | null;
                            }[];
                            mcp_servers: {
                                /** @enum {string} */
                                status: "operational" | "degraded";
                                servers: {
                                    name: string;
                                    /** @enum {string} */
                                    status: "unknown" | "ok" | "error";
                                    last_error: string | null;
                                }[];
                            };
                            /** @description the MCP door of this replica (docs/integrations/mcp.md) */
                            mcp_endpoint: {
                                /** @enum {string} */
                                path: "/mcp";
                                /** @enum {string} */
                                transport: "streamable-http";
                                /** @enum {string} */
                                status: "open" | "closed_for_maintenance" | "not_served";
                                /** @description since this process started */
                                tool_calls: {
                                    success: number;
                                    client_error: number;
                                    server_error: number;
                                };
                                in_flight: number;
                            };
                            version: string;
                            /** @enum {string} */
                            mode: "embedded" | "cluster";
                            uptime_seconds: number;
                            /** @description maintenance mode is on: the customer API answers 503 maintenance */
                            maintenance: boolean;
                        };
                    };
                };
                /** @description Default Response */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "healthy" | "degraded" | "unhealthy";
                            /** @enum {string} */
                            database: "connected" | "disconnected";
                            /** @enum {string} */
                            redis: "connected" | "disconnected" | "not_configured";
                            /**
                             * @description degraded: a provider circuit breaker is open or half-open (see providers)
                             * @enum {string}
                             */
                            agents: "operational" | "degraded" | "no_agents" | "unknown";
                            providers: {
                                provider: string;
                                /** @enum {string} */
                                state: "closed" | "half_open" | "open";
                                half_open_at: string | null;
                                last_error: string | null;
                            }[];
                            mcp_servers: {
                                /** @enum {string} */
                                status: "operational" | "degraded";
                                servers: {
                                    name: string;
                                    /** @enum {string} */
                                    status: "unknown" | "ok" | "error";
                                    last_error: string | null;
                                }[];
                            };
                            /** @description the MCP door of this replica (docs/integrations/mcp.md) */
                            mcp_endpoint: {
                                /** @enum {string} */
                                path: "/mcp";
                                /** @enum {string} */
                                transport: "streamable-http";
                                /** @enum {string} */
                                status: "open" | "closed_for_maintenance" | "not_served";
                                /** @description since this process started */
                                tool_calls: {
                                    success: number;
                                    client_error: number;
                                    server_error: number;
                                };
                                in_flight: number;
                            };
                            version: string;
                            /** @enum {string} */
                            mode: "embedded" | "cluster";
                            uptime_seconds: number;
                            /** @description maintenance mode is on: the customer API answers 503 maintenance */
                            maintenance: boolean;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process answers */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "alive";
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: database reachable, migrations applied, not draining */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ready" | "not_ready";
                            reason?: string;
                        };
                    };
                };
                /** @description Default Response */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ready" | "not_ready";
                            reason?: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: database reachable, migrations applied, not draining */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ready" | "not_ready";
                            reason?: string;
                        };
                    };
                };
                /** @description Default Response */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ready" | "not_ready";
                            reason?: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List LLM providers */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                /** @enum {string} */
                                kind: "openai-compatible" | "anthropic" | "mock";
                                base_url: string | null;
                                default_model: string | null;
                                has_api_key: boolean;
                                settings: {
                                    [key: string]: unknown;
                                };
                                label: string;
                                created_at: string;
                                updated_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Register an LLM provider */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        id: string;
                        /** @enum {string} */
                        kind: "openai-compatible" | "anthropic" | "mock";
                        base_url?: string | null;
                        default_model?: string | null;
                        api_key?: string | null;
                        /** @default {} */
                        settings?: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "openai-compatible" | "anthropic" | "mock";
                            base_url: string | null;
                            default_model: string | null;
                            has_api_key: boolean;
                            settings: {
                                [key: string]: unknown;
                            };
                            label: string;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/providers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show a provider */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "openai-compatible" | "anthropic" | "mock";
                            base_url: string | null;
                            default_model: string | null;
                            has_api_key: boolean;
                            settings: {
                                [key: string]: unknown;
                            };
                            label: string;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a provider (base URL, default model, key, settings) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        base_url?: string | null;
                        default_model?: string | null;
                        api_key?: string | null;
                        /** @default {} */
                        settings?: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "openai-compatible" | "anthropic" | "mock";
                            base_url: string | null;
                            default_model: string | null;
                            has_api_key: boolean;
                            settings: {
                                [key: string]: unknown;
                            };
                            label: string;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/admin/api/v1/agents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List agents */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                name: string;
                                description: string;
                                tenant_id: string | null;
                                published_version: number | null;
                                latest_version: number;
                                published: {
                                    version: number;
                                    provider: string;
                                    model: string;
                                    instructions: string;
                                    temperature: number | null;
                                    max_output_tokens: number | null;
                                    timeout_ms: number;
                                    settings: {
                                        [key: string]: unknown;
                                    };
                                    tools: {
                                        name: string;
                                        permissions: string[];
                                        config: {
                                            [key: string]: unknown;
                                        };
                                    }[];
                                    mcp_tools: {
                                        server: string;
                                        tools: string[];
                                    }[];
                                    max_steps: number;
                                    max_run_tokens: number | null;
                                    fallback_provider: string | null;
                                    delegates: string[];
                                    knowledge_bases: string[];
                                    created_by: string;
                                    created_at: string;
                                } | null;
                                created_at: string;
                                updated_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Create an agent (version 1, published unless publish=false) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        id: string;
                        name?: string;
                        description?: string;
                        tenant_id?: string | null;
                        provider: string;
                        model?: string;
                        instructions: string;
                        temperature?: number | null;
                        max_output_tokens?: number | null;
                        timeout_ms?: number | null;
                        settings?: {
                            history_token_budget?: number;
                            max_delegation_depth?: number;
                            mock_script?: {
                                match?: string;
                                toolResults?: boolean;
                                toolMatch?: string;
                                reply?: string;
                                toolCalls?: {
                                    name: string;
                                    /** @default {} */
                                    arguments?: {
                                        [key: string]: unknown;
                                    };
                                    id?: string;
                                }[];
                                usage?: {
                                    input: number;
                                    output: number;
                                };
                                chunkDelayMs?: number;
                                chunkSize?: number;
                                error?: {
                                    status: number;
                                    message?: string;
                                    retryAfterSeconds?: number;
                                };
                                delayMs?: number;
                                times?: number;
                            }[];
                        } & {
                            [key: string]: unknown;
                        };
                        tools?: {
                            name: string;
                            /** @default [] */
                            permissions?: ("network" | "network.write")[];
                            /** @default {} */
                            config?: {
                                [key: string]: unknown;
                            };
                        }[];
                        mcp_tools?: {
                            server: string;
                            tools: string[];
                        }[];
                        max_steps?: number;
                        max_run_tokens?: number | null;
                        fallback_provider?: string | null;
                        delegates?: string[];
                        knowledge_bases?: string[];
                        /** @default true */
                        publish?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            description: string;
                            tenant_id: string | null;
                            published_version: number | null;
                            latest_version: number;
                            published: {
                                version: number;
                                provider: string;
                                model: string;
                                instructions: string;
                                temperature: number | null;
                                max_output_tokens: number | null;
                                timeout_ms: number;
                                settings: {
                                    [key: string]: unknown;
                                };
                                tools: {
                                    name: string;
                                    permissions: string[];
                                    config: {
                                        [key: string]: unknown;
                                    };
                                }[];
                                mcp_tools: {
                                    server: string;
                                    tools: string[];
                                }[];
                                max_steps: number;
                                max_run_tokens: number | null;
                                fallback_provider: string | null;
                                delegates: string[];
                                knowledge_bases: string[];
                                created_by: string;
                                created_at: string;
                            } | null;
                            created_at: string;
                            updated_at: string;
                            versions: {
                                version: number;
                                provider: string;
                                model: string;
                                instructions: string;
                                temperature: number | null;
                                max_output_tokens: number | null;
                                timeout_ms: number;
                                settings: {
                                    [key: string]: unknown;
                                };
                                tools: {
                                    name: string;
                                    permissions: string[];
                                    config: {
                                        [key: string]: unknown;
                                    };
                                }[];
                                mcp_tools: {
                                    server: string;
                                    tools: string[];
                                }[];
                                max_steps: number;
                                max_run_tokens: number | null;
                                fallback_provider: string | null;
                                delegates: string[];
                                knowledge_bases: string[];
                                created_by: string;
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/agents/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show an agent and its versions */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            description: string;
                            tenant_id: string | null;
                            published_version: number | null;
                            latest_version: number;
                            published: {
                                version: number;
                                provider: string;
                                model: string;
                                instructions: string;
                                temperature: number | null;
                                max_output_tokens: number | null;
                                timeout_ms: number;
                                settings: {
                                    [key: string]: unknown;
                                };
                                tools: {
                                    name: string;
                                    permissions: string[];
                                    config: {
                                        [key: string]: unknown;
                                    };
                                }[];
                                mcp_tools: {
                                    server: string;
                                    tools: string[];
                                }[];
                                max_steps: number;
                                max_run_tokens: number | null;
                                fallback_provider: string | null;
                                delegates: string[];
                                knowledge_bases: string[];
                                created_by: string;
                                created_at: string;
                            } | null;
                            created_at: string;
                            updated_at: string;
                            versions: {
                                version: number;
                                provider: string;
                                model: string;
                                instructions: string;
                                temperature: number | null;
                                max_output_tokens: number | null;
                                timeout_ms: number;
                                settings: {
                                    [key: string]: unknown;
                                };
                                tools: {
                                    name: string;
                                    permissions: string[];
                                    config: {
                                        [key: string]: unknown;
                                    };
                                }[];
                                mcp_tools: {
                                    server: string;
                                    tools: string[];
                                }[];
                                max_steps: number;
                                max_run_tokens: number | null;
                                fallback_provider: string | null;
                                delegates: string[];
                                knowledge_bases: string[];
                                created_by: string;
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change an agent; changes to what it does make a new version */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        description?: string;
                        provider?: string;
                        model?: string;
                        instructions?: string;
                        temperature?: number | null;
                        max_output_tokens?: number | null;
                        timeout_ms?: number | null;
                        settings?: {
                            history_token_budget?: number;
                            max_delegation_depth?: number;
                            mock_script?: {
                                match?: string;
                                toolResults?: boolean;
                                toolMatch?: string;
                                reply?: string;
                                toolCalls?: {
                                    name: string;
                                    /** @default {} */
                                    arguments?: {
                                        [key: string]: unknown;
                                    };
                                    id?: string;
                                }[];
                                usage?: {
                                    input: number;
                                    output: number;
                                };
                                chunkDelayMs?: number;
                                chunkSize?: number;
                                error?: {
                                    status: number;
                                    message?: string;
                                    retryAfterSeconds?: number;
                                };
                                delayMs?: number;
                                times?: number;
                            }[];
                        } & {
                            [key: string]: unknown;
                        };
                        tools?: {
                            name: string;
                            /** @default [] */
                            permissions?: ("network" | "network.write")[];
                            /** @default {} */
                            config?: {
                                [key: string]: unknown;
                            };
                        }[];
                        mcp_tools?: {
                            server: string;
                            tools: string[];
                        }[];
                        max_steps?: number;
                        max_run_tokens?: number | null;
                        fallback_provider?: string | null;
                        delegates?: string[];
                        knowledge_bases?: string[];
                        /** @default false */
                        publish?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            description: string;
                            tenant_id: string | null;
                            published_version: number | null;
                            latest_version: number;
                            published: {
                                version: number;
                                provider: string;
                                model: string;
                                instructions: string;
                                temperature: number | null;
                                max_output_tokens: number | null;
                                timeout_ms: number;
                                settings: {
                                    [key: string]: unknown;
                                };
                                tools: {
                                    name: string;
                                    permissions: string[];
                                    config: {
                                        [key: string]: unknown;
                                    };
                                }[];
                                mcp_tools: {
                                    server: string;
                                    tools: string[];
                                }[];
                                max_steps: number;
                                max_run_tokens: number | null;
                                fallback_provider: string | null;
                                delegates: string[];
                                knowledge_bases: string[];
                                created_by: string;
                                created_at: string;
                            } | null;
                            created_at: string;
                            updated_at: string;
                            versions: {
                                version: number;
                                provider: string;
                                model: string;
                                instructions: string;
                                temperature: number | null;
                                max_output_tokens: number | null;
                                timeout_ms: number;
                                settings: {
                                    [key: string]: unknown;
                                };
                                tools: {
                                    name: string;
                                    permissions: string[];
                                    config: {
                                        [key: string]: unknown;
                                    };
                                }[];
                                mcp_tools: {
                                    server: string;
                                    tools: string[];
                                }[];
                                max_steps: number;
                                max_run_tokens: number | null;
                                fallback_provider: string | null;
                                delegates: string[];
                                knowledge_bases: string[];
                                created_by: string;
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/admin/api/v1/agents/{id}/publish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Publish a version */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        version: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            description: string;
                            tenant_id: string | null;
                            published_version: number | null;
                            latest_version: number;
                            published: {
                                version: number;
                                provider: string;
                                model: string;
                                instructions: string;
                                temperature: number | null;
                                max_output_tokens: number | null;
                                timeout_ms: number;
                                settings: {
                                    [key: string]: unknown;
                                };
                                tools: {
                                    name: string;
                                    permissions: string[];
                                    config: {
                                        [key: string]: unknown;
                                    };
                                }[];
                                mcp_tools: {
                                    server: string;
                                    tools: string[];
                                }[];
                                max_steps: number;
                                max_run_tokens: number | null;
                                fallback_provider: string | null;
                                delegates: string[];
                                knowledge_bases: string[];
                                created_by: string;
                                created_at: string;
                            } | null;
                            created_at: string;
                            updated_at: string;
                            versions: {
                                version: number;
                                provider: string;
                                model: string;
                                instructions: string;
                                temperature: number | null;
                                max_output_tokens: number | null;
                                timeout_ms: number;
                                settings: {
                                    [key: string]: unknown;
                                };
                                tools: {
                                    name: string;
                                    permissions: string[];
                                    config: {
                                        [key: string]: unknown;
                                    };
                                }[];
                                mcp_tools: {
                                    server: string;
                                    tools: string[];
                                }[];
                                max_steps: number;
                                max_run_tokens: number | null;
                                fallback_provider: string | null;
                                delegates: string[];
                                knowledge_bases: string[];
                                created_by: string;
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/agents/{id}/rollback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Publish an older version (default: the newest one before the published one) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        to?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            description: string;
                            tenant_id: string | null;
                            published_version: number | null;
                            latest_version: number;
                            published: {
                                version: number;
                                provider: string;
                                model: string;
                                instructions: string;
                                temperature: number | null;
                                max_output_tokens: number | null;
                                timeout_ms: number;
                                settings: {
                                    [key: string]: unknown;
                                };
                                tools: {
                                    name: string;
                                    permissions: string[];
                                    config: {
                                        [key: string]: unknown;
                                    };
                                }[];
                                mcp_tools: {
                                    server: string;
                                    tools: string[];
                                }[];
                                max_steps: number;
                                max_run_tokens: number | null;
                                fallback_provider: string | null;
                                delegates: string[];
                                knowledge_bases: string[];
                                created_by: string;
                                created_at: string;
                            } | null;
                            created_at: string;
                            updated_at: string;
                            versions: {
                                version: number;
                                provider: string;
                                model: string;
                                instructions: string;
                                temperature: number | null;
                                max_output_tokens: number | null;
                                timeout_ms: number;
                                settings: {
                                    [key: string]: unknown;
                                };
                                tools: {
                                    name: string;
                                    permissions: string[];
                                    config: {
                                        [key: string]: unknown;
                                    };
                                }[];
                                mcp_tools: {
                                    server: string;
                                    tools: string[];
                                }[];
                                max_steps: number;
                                max_run_tokens: number | null;
                                fallback_provider: string | null;
                                delegates: string[];
                                knowledge_bases: string[];
                                created_by: string;
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/agents/{id}/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Recent runs of an agent */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                agent_id: string;
                                agent_version: number;
                                channel: string;
                                /** @enum {string} */
                                status: "queued" | "running" | "succeeded" | "failed" | "timeout" | "cancelled";
                                conversation_id: string | null;
                                parent_run_id: string | null;
                                input: string;
                                output: string | null;
                                error: string | null;
                                usage: {
                                    input_tokens: number;
                                    output_tokens: number;
                                    cached_input_tokens: number;
                                };
                                cost: {
                                    amount: string;
                                    currency: string;
                                } | null;
                                attempts: number;
                                latency_ms: number | null;
                                created_at: string;
                                finished_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Run the published version with a message (agentctl agents test) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        message: string;
                        conversation_id?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            agent_version: number;
                            channel: string;
                            /** @enum {string} */
                            status: "queued" | "running" | "succeeded" | "failed" | "timeout" | "cancelled";
                            conversation_id: string | null;
                            parent_run_id: string | null;
                            input: string;
                            output: string | null;
                            error: string | null;
                            usage: {
                                input_tokens: number;
                                output_tokens: number;
                                cached_input_tokens: number;
                            };
                            cost: {
                                amount: string;
                                currency: string;
                            } | null;
                            attempts: number;
                            latency_ms: number | null;
                            created_at: string;
                            finished_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Recent runs, newest first (filter by agent or access) */
        get: {
            parameters: {
                query?: {
                    agent?: string;
                    access?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                agent_id: string;
                                agent_version: number;
                                channel: string;
                                /** @enum {string} */
                                status: "queued" | "running" | "succeeded" | "failed" | "timeout" | "cancelled";
                                conversation_id: string | null;
                                parent_run_id: string | null;
                                input: string;
                                output: string | null;
                                error: string | null;
                                usage: {
                                    input_tokens: number;
                                    output_tokens: number;
                                    cached_input_tokens: number;
                                };
                                cost: {
                                    amount: string;
                                    currency: string;
                                } | null;
                                attempts: number;
                                latency_ms: number | null;
                                created_at: string;
                                finished_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/runs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show a run */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            agent_version: number;
                            channel: string;
                            /** @enum {string} */
                            status: "queued" | "running" | "succeeded" | "failed" | "timeout" | "cancelled";
                            conversation_id: string | null;
                            parent_run_id: string | null;
                            input: string;
                            output: string | null;
                            error: string | null;
                            usage: {
                                input_tokens: number;
                                output_tokens: number;
                                cached_input_tokens: number;
                            };
                            cost: {
                                amount: string;
                                currency: string;
                            } | null;
                            attempts: number;
                            latency_ms: number | null;
                            created_at: string;
                            finished_at: string | null;
                            steps: {
                                idx: number;
                                /** @enum {string} */
                                kind: "model" | "tool";
                                name: string;
                                tool_call_id: string | null;
                                arguments: {
                                    [key: string]: unknown;
                                } | null;
                                result: (string | number | boolean | {
                                    [key: string]: unknown;
                                }[] | string[] | {
                                    [key: string]: unknown;
                                }) | null;
                                error: string | null;
                                duration_ms: number | null;
                                usage: {
                                    input_tokens: number;
                                    output_tokens: number;
                                };
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Conversations, newest first; filter by access or tenant */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    access?: string;
                    tenant?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                agent_id: string;
                                access_id: string;
                                title: string | null;
                                message_count: number;
                                created_at: string;
                                updated_at: string;
                                tenant_id: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/conversations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show a conversation */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            access_id: string;
                            title: string | null;
                            message_count: number;
                            created_at: string;
                            updated_at: string;
                            tenant_id: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/conversations/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The messages of a conversation, oldest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                position: number;
                                /** @enum {string} */
                                role: "user" | "assistant";
                                content: string;
                                tokens: number;
                                run_id: string;
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/tenants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List tenants */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                name: string;
                                external_id: string | null;
                                status: string;
                                created_at: string;
                                budget: {
                                    period: string;
                                    tokens_in: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                    tokens_out: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                    cost: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                } | null;
                                budget_alert_webhook_url: string | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Create a tenant */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        external_id?: string | null;
                        /** @description input tokens all accesses of the tenant may use per UTC month together (null: no limit) */
                        budget_tokens_in?: number | null;
                        /** @description output tokens all accesses of the tenant may use per UTC month together (null: no limit) */
                        budget_tokens_out?: number | null;
                        /** @description cost all accesses of the tenant may spend per UTC month together, in the prices' currency (null: no limit) */
                        budget_cost?: string | null;
                        /** @description where this tenant's 80 %/100 % budget alerts are POSTed instead of BUDGET_ALERT_WEBHOOK_URL (null: back to the platform's); needs budget_alert_webhook_secret */
                        budget_alert_webhook_url?: string | null;
                        /** @description the Standard Webhooks secret that signs this tenant's alerts; stored sealed, never shown again */
                        budget_alert_webhook_secret?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            external_id: string | null;
                            status: string;
                            created_at: string;
                            budget: {
                                period: string;
                                tokens_in: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                tokens_out: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                cost: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                            } | null;
                            budget_alert_webhook_url: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/tenants/{ref}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show a tenant by id, name or external id */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    ref: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            external_id: string | null;
                            status: string;
                            created_at: string;
                            budget: {
                                period: string;
                                tokens_in: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                tokens_out: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                cost: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                            } | null;
                            budget_alert_webhook_url: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a tenant's name or its tenant-wide budgets (per UTC month across all its accesses, ADR 0064; null removes a limit) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    ref: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        /** @description input tokens all accesses of the tenant may use per UTC month together (null: no limit) */
                        budget_tokens_in?: number | null;
                        /** @description output tokens all accesses of the tenant may use per UTC month together (null: no limit) */
                        budget_tokens_out?: number | null;
                        /** @description cost all accesses of the tenant may spend per UTC month together, in the prices' currency (null: no limit) */
                        budget_cost?: string | null;
                        /** @description where this tenant's 80 %/100 % budget alerts are POSTed instead of BUDGET_ALERT_WEBHOOK_URL (null: back to the platform's); needs budget_alert_webhook_secret */
                        budget_alert_webhook_url?: string | null;
                        /** @description the Standard Webhooks secret that signs this tenant's alerts; stored sealed, never shown again */
                        budget_alert_webhook_secret?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            external_id: string | null;
                            status: string;
                            created_at: string;
                            budget: {
                                period: string;
                                tokens_in: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                tokens_out: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                cost: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                            } | null;
                            budget_alert_webhook_url: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/admin/api/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Audit events, newest first */
        get: {
            parameters: {
                query?: {
                    since?: string;
                    until?: string;
                    actor?: string;
                    action?: string;
                    tenant?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                at: string;
                                actor: string;
                                action: string;
                                target_type: string;
                                target_id: string | null;
                                tenant_id: string | null;
                                ip: string | null;
                                request_id: string | null;
                                details: {
                                    [key: string]: unknown;
                                };
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/admin-tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List admin tokens (never the tokens themselves) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                name: string;
                                /** @enum {string} */
                                scope: "read" | "operate" | "admin";
                                created_at: string;
                                last_used_at: string | null;
                                revoked_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Create an admin token; the token is in this answer only */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /**
                         * @description read: look only; operate: day-to-day writes; admin: everything
                         * @default admin
                         * @enum {string}
                         */
                        scope?: "read" | "operate" | "admin";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            /** @enum {string} */
                            scope: "read" | "operate" | "admin";
                            token: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/admin-tokens/{ref}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke an admin token by id or name */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    ref: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/accesses": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List accesses */
        get: {
            parameters: {
                query?: {
                    tenant?: string;
                    email?: string;
                    order?: string;
                    resource?: string;
                    agent?: string;
                    status?: "active" | "suspended" | "terminated";
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                tenant_id: string;
                                tenant_name: string;
                                agent_id: string;
                                email: string;
                                /** @enum {string} */
                                status: "active" | "suspended" | "terminated";
                                /** @enum {string} */
                                effective_status: "active" | "suspended" | "terminated" | "expired";
                                /** @enum {string} */
                                quota_period: "month" | "total";
                                quota: {
                                    period: string;
                                    limit: number;
                                    used: number;
                                    reserved: number;
                                    remaining: number;
                                };
                                budget: {
                                    period: string;
                                    tokens_in: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                    tokens_out: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                    cost: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                } | null;
                                /** @enum {string} */
                                budget_mode: "refuse" | "cap";
                                rate_limit_per_minute: number | null;
                                expires_at: string | null;
                                project_ref: string | null;
                                user_ref: string | null;
                                offering_ref: string | null;
                                plan_ref: string | null;
                                order_ref: string | null;
                                resource_ref: string | null;
                                extra_instructions: string | null;
                                knowledge_bases: string[];
                                manage_knowledge: boolean;
                                created_at: string;
                                updated_at: string;
                                terminated_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Grant a tenant access to an agent; answers with the first API key, once */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        tenant: string;
                        agent: string;
                        /** Format: email */
                        email: string;
                        quota: number;
                        /**
                         * @default month
                         * @enum {string}
                         */
                        period?: "month" | "total";
                        expires_at?: string | null;
                        rate_limit_per_minute?: number | null;
                        key_name?: string;
                        project_ref?: string | null;
                        user_ref?: string | null;
                        offering_ref?: string | null;
                        plan_ref?: string | null;
                        order_ref?: string | null;
                        resource_ref?: string | null;
                        manage_knowledge?: boolean;
                        /** @description input tokens allowed per period (null: no limit) */
                        budget_tokens_in?: number | null;
                        /** @description output tokens allowed per period (null: no limit) */
                        budget_tokens_out?: number | null;
                        /** @description cost allowed per period, in the prices' currency (null: no limit) */
                        budget_cost?: string | null;
                        /**
                         * @description when a run's worst case does not fit the access's or tenant's budget: refuse (429 budget_exceeded, default) or cap its max output tokens to what remains (ADR 0065)
                         * @enum {string}
                         */
                        budget_mode?: "refuse" | "cap";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            access: {
                                id: string;
                                tenant_id: string;
                                tenant_name: string;
                                agent_id: string;
                                email: string;
                                /** @enum {string} */
                                status: "active" | "suspended" | "terminated";
                                /** @enum {string} */
                                effective_status: "active" | "suspended" | "terminated" | "expired";
                                /** @enum {string} */
                                quota_period: "month" | "total";
                                quota: {
                                    period: string;
                                    limit: number;
                                    used: number;
                                    reserved: number;
                                    remaining: number;
                                };
                                budget: {
                                    period: string;
                                    tokens_in: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                    tokens_out: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                    cost: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                } | null;
                                /** @enum {string} */
                                budget_mode: "refuse" | "cap";
                                rate_limit_per_minute: number | null;
                                expires_at: string | null;
                                project_ref: string | null;
                                user_ref: string | null;
                                offering_ref: string | null;
                                plan_ref: string | null;
                                order_ref: string | null;
                                resource_ref: string | null;
                                extra_instructions: string | null;
                                knowledge_bases: string[];
                                manage_knowledge: boolean;
                                created_at: string;
                                updated_at: string;
                                terminated_at: string | null;
                            };
                            api_key: {
                                id: string;
                                access_id: string;
                                prefix: string;
                                name: string | null;
                                /** @enum {string} */
                                status: "valid" | "revoked" | "expired";
                                created_at: string;
                                expires_at: string | null;
                                revoked_at: string | null;
                                last_used_at: string | null;
                                /** @description The API key. Shown only in this answer. */
                                key: string;
                            };
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/accesses/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show an access with its quota */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            tenant_id: string;
                            tenant_name: string;
                            agent_id: string;
                            email: string;
                            /** @enum {string} */
                            status: "active" | "suspended" | "terminated";
                            /** @enum {string} */
                            effective_status: "active" | "suspended" | "terminated" | "expired";
                            /** @enum {string} */
                            quota_period: "month" | "total";
                            quota: {
                                period: string;
                                limit: number;
                                used: number;
                                reserved: number;
                                remaining: number;
                            };
                            budget: {
                                period: string;
                                tokens_in: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                tokens_out: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                cost: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                            } | null;
                            /** @enum {string} */
                            budget_mode: "refuse" | "cap";
                            rate_limit_per_minute: number | null;
                            expires_at: string | null;
                            project_ref: string | null;
                            user_ref: string | null;
                            offering_ref: string | null;
                            plan_ref: string | null;
                            order_ref: string | null;
                            resource_ref: string | null;
                            extra_instructions: string | null;
                            knowledge_bases: string[];
                            manage_knowledge: boolean;
                            created_at: string;
                            updated_at: string;
                            terminated_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change quota, period, rate limit, expiry or e-mail */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        quota?: number;
                        /** @enum {string} */
                        period?: "month" | "total";
                        expires_at?: string | null;
                        rate_limit_per_minute?: number | null;
                        /** Format: email */
                        email?: string;
                        plan_ref?: string | null;
                        extra_instructions?: string | null;
                        knowledge_bases?: string[];
                        manage_knowledge?: boolean;
                        /** @description input tokens allowed per period (null: no limit) */
                        budget_tokens_in?: number | null;
                        /** @description output tokens allowed per period (null: no limit) */
                        budget_tokens_out?: number | null;
                        /** @description cost allowed per period, in the prices' currency (null: no limit) */
                        budget_cost?: string | null;
                        /**
                         * @description when a run's worst case does not fit the access's or tenant's budget: refuse (429 budget_exceeded, default) or cap its max output tokens to what remains (ADR 0065)
                         * @enum {string}
                         */
                        budget_mode?: "refuse" | "cap";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            tenant_id: string;
                            tenant_name: string;
                            agent_id: string;
                            email: string;
                            /** @enum {string} */
                            status: "active" | "suspended" | "terminated";
                            /** @enum {string} */
                            effective_status: "active" | "suspended" | "terminated" | "expired";
                            /** @enum {string} */
                            quota_period: "month" | "total";
                            quota: {
                                period: string;
                                limit: number;
                                used: number;
                                reserved: number;
                                remaining: number;
                            };
                            budget: {
                                period: string;
                                tokens_in: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                tokens_out: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                cost: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                            } | null;
                            /** @enum {string} */
                            budget_mode: "refuse" | "cap";
                            rate_limit_per_minute: number | null;
                            expires_at: string | null;
                            project_ref: string | null;
                            user_ref: string | null;
                            offering_ref: string | null;
                            plan_ref: string | null;
                            order_ref: string | null;
                            resource_ref: string | null;
                            extra_instructions: string | null;
                            knowledge_bases: string[];
                            manage_knowledge: boolean;
                            created_at: string;
                            updated_at: string;
                            terminated_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/admin/api/v1/accesses/{id}/suspend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Suspend an access */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            tenant_id: string;
                            tenant_name: string;
                            agent_id: string;
                            email: string;
                            /** @enum {string} */
                            status: "active" | "suspended" | "terminated";
                            /** @enum {string} */
                            effective_status: "active" | "suspended" | "terminated" | "expired";
                            /** @enum {string} */
                            quota_period: "month" | "total";
                            quota: {
                                period: string;
                                limit: number;
                                used: number;
                                reserved: number;
                                remaining: number;
                            };
                            budget: {
                                period: string;
                                tokens_in: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                tokens_out: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                cost: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                            } | null;
                            /** @enum {string} */
                            budget_mode: "refuse" | "cap";
                            rate_limit_per_minute: number | null;
                            expires_at: string | null;
                            project_ref: string | null;
                            user_ref: string | null;
                            offering_ref: string | null;
                            plan_ref: string | null;
                            order_ref: string | null;
                            resource_ref: string | null;
                            extra_instructions: string | null;
                            knowledge_bases: string[];
                            manage_knowledge: boolean;
                            created_at: string;
                            updated_at: string;
                            terminated_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/accesses/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resume an access */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            tenant_id: string;
                            tenant_name: string;
                            agent_id: string;
                            email: string;
                            /** @enum {string} */
                            status: "active" | "suspended" | "terminated";
                            /** @enum {string} */
                            effective_status: "active" | "suspended" | "terminated" | "expired";
                            /** @enum {string} */
                            quota_period: "month" | "total";
                            quota: {
                                period: string;
                                limit: number;
                                used: number;
                                reserved: number;
                                remaining: number;
                            };
                            budget: {
                                period: string;
                                tokens_in: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                tokens_out: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                cost: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                            } | null;
                            /** @enum {string} */
                            budget_mode: "refuse" | "cap";
                            rate_limit_per_minute: number | null;
                            expires_at: string | null;
                            project_ref: string | null;
                            user_ref: string | null;
                            offering_ref: string | null;
                            plan_ref: string | null;
                            order_ref: string | null;
                            resource_ref: string | null;
                            extra_instructions: string | null;
                            knowledge_bases: string[];
                            manage_knowledge: boolean;
                            created_at: string;
                            updated_at: string;
                            terminated_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/accesses/{id}/terminate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Terminate an access and revoke all its keys */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            tenant_id: string;
                            tenant_name: string;
                            agent_id: string;
                            email: string;
                            /** @enum {string} */
                            status: "active" | "suspended" | "terminated";
                            /** @enum {string} */
                            effective_status: "active" | "suspended" | "terminated" | "expired";
                            /** @enum {string} */
                            quota_period: "month" | "total";
                            quota: {
                                period: string;
                                limit: number;
                                used: number;
                                reserved: number;
                                remaining: number;
                            };
                            budget: {
                                period: string;
                                tokens_in: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                tokens_out: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                cost: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                            } | null;
                            /** @enum {string} */
                            budget_mode: "refuse" | "cap";
                            rate_limit_per_minute: number | null;
                            expires_at: string | null;
                            project_ref: string | null;
                            user_ref: string | null;
                            offering_ref: string | null;
                            plan_ref: string | null;
                            order_ref: string | null;
                            resource_ref: string | null;
                            extra_instructions: string | null;
                            knowledge_bases: string[];
                            manage_knowledge: boolean;
                            created_at: string;
                            updated_at: string;
                            terminated_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/accesses/{id}/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the keys of an access (prefixes only) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                access_id: string;
                                prefix: string;
                                name: string | null;
                                /** @enum {string} */
                                status: "valid" | "revoked" | "expired";
                                created_at: string;
                                expires_at: string | null;
                                revoked_at: string | null;
                                last_used_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Create another API key for an access; the key is in this answer only */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        /** Format: date-time */
                        expires_at?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            access_id: string;
                            prefix: string;
                            name: string | null;
                            /** @enum {string} */
                            status: "valid" | "revoked" | "expired";
                            created_at: string;
                            expires_at: string | null;
                            revoked_at: string | null;
                            last_used_at: string | null;
                            /** @description The API key. Shown only in this answer. */
                            key: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/accesses/{id}/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Usage of an access by month */
        get: {
            parameters: {
                query?: {
                    period?: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            access_id: string;
                            periods: {
                                period: string;
                                requests: number;
                                input_tokens: number;
                                output_tokens: number;
                                cached_input_tokens: number;
                                cost: string;
                                currency: string | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/keys/{prefix}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Inspect a key by its prefix: valid / revoked / expired, agent, access, quota, last use */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    prefix: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            prefix: string;
                            key_id: string;
                            /** @enum {string} */
                            status: "valid" | "revoked" | "expired";
                            /** @enum {string} */
                            verdict: "ok" | "api_key_revoked" | "api_key_expired" | "access_suspended" | "quota_exceeded";
                            agent_id: string;
                            access_id: string;
                            access_status: string;
                            access_expires_at: string | null;
                            tenant: {
                                id: string;
                                name: string;
                            };
                            email: string;
                            quota: {
                                period: string;
                                limit: number;
                                used: number;
                                reserved: number;
                                remaining: number;
                            };
                            created_at: string;
                            expires_at: string | null;
                            revoked_at: string | null;
                            last_used_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/keys/{id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke a key (every replica refuses it within a second) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            access_id: string;
                            prefix: string;
                            name: string | null;
                            /** @enum {string} */
                            status: "valid" | "revoked" | "expired";
                            created_at: string;
                            expires_at: string | null;
                            revoked_at: string | null;
                            last_used_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/keys/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke every active key created before a time (database clock) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: date-time */
                        before: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            revoked: number;
                            prefixes: string[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Usage of every access for one month */
        get: {
            parameters: {
                query?: {
                    period?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            period: string;
                            items: {
                                period: string;
                                requests: number;
                                input_tokens: number;
                                output_tokens: number;
                                cached_input_tokens: number;
                                cost: string;
                                currency: string | null;
                                access_id: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/maintenance": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Maintenance mode, as this replica sees it */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            on: boolean;
                            message: string;
                            retry_after: number;
                            since: string | null;
                            by: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        /**
         * Switch maintenance mode on or off on every replica
         * @description While on, the customer API (/api/v1, /v1, MCP, Slack) answers 503 `maintenance` with Retry-After; health, metrics, docs and the admin API stay up.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        on: boolean;
                        message?: string;
                        retry_after?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            on: boolean;
                            message: string;
                            retry_after: number;
                            since: string | null;
                            by: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/secrets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Managed secrets: versions, sources, retire times (never values) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                /** @enum {string} */
                                name: "webhook" | "session" | "pepper";
                                configured: boolean;
                                /** @enum {string} */
                                source: "database" | "environment" | "derived" | "none";
                                current_version: number;
                                accepted_versions: number;
                                previous_retires_at: string | null;
                                versions: {
                                    version: number;
                                    /** @enum {string} */
                                    state: "current" | "accepted" | "retired";
                                    created_at: string | null;
                                    retire_at: string | null;
                                    keys?: number;
                                }[];
                                note?: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/secrets/{name}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate a secret: a new value now, the old one accepted for the overlap
         * @description The new webhook secret is in the answer, once (configure it in Waldur); session and pepper values are never shown.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description how long the old value stays accepted, e.g. 24h, 7d (default 24h; 30d for the pepper) */
                        overlap?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            name: "webhook" | "session" | "pepper";
                            version: number;
                            secret?: string;
                            previous_accepted_until: string | null;
                            note: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/secrets/{name}/retire-previous": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End the overlap now: only the current value is accepted */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @default false */
                        force?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            name: "webhook" | "session" | "pepper";
                            retired: number;
                            keys_broken: number;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/sessions/revoke-all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke every portal session */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description sessions revoked now (sessions revoked earlier keep their time) */
                            revoked: number;
                            /** @description every session created before this time is invalid */
                            revoked_before: string;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/cache/warm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Warm the caches of every replica (agents, recently used keys) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description warm the keys used within this long (default 24h) */
                        since?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description published agent definitions loaded on the replica that answered */
                            agents: number;
                            /** @description API-key verification entries loaded on the replica that answered */
                            keys: number;
                            /** @description keys used since this time were warmed */
                            since: string;
                            ms: number;
                            /**
                             * @description every replica warms its own caches when it hears the request
                             * @enum {string}
                             */
                            replicas: "all";
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/audit/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Audit events oldest first, as JSON lines (streamed) */
        get: {
            parameters: {
                query?: {
                    since?: string;
                    until?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/x-ndjson": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/x-ndjson": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/audit/prune": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Delete audit events older than a duration (the prune is audited) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description delete events older than this, e.g. 90d (at least 1d) */
                        older_than: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            deleted: number;
                            before: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/backups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Backups in BACKUP_DIR on the server, newest first */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            dir: string;
                            items: {
                                file: string;
                                shape: string;
                                created_at: string;
                                bytes: number;
                                complete: boolean;
                                encrypted: boolean;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Back up the database into BACKUP_DIR on the server (gzip/pg_dump, .sha256, manifest) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            file: string;
                            path: string;
                            bytes: number;
                            sha256: string;
                            created_at: string;
                            removed: string[];
                            ms: number;
                            manifest: {
                                /** @enum {string} */
                                format: "agent-platform-backup";
                                /** @enum {number} */
                                format_version: 1;
                                version: string;
                                /** @enum {string} */
                                shape: "embedded" | "cluster";
                                /** @enum {string} */
                                database: "pglite" | "postgres";
                                file: string;
                                created_at: string;
                                migrations: {
                                    applied: number;
                                    last: string | null;
                                    hashes: string[];
                                };
                                tables: {
                                    [key: string]: {
                                        rows: number;
                                        hash: string;
                                    };
                                };
                                key_fingerprint: string | null;
                                bytes: number;
                                sha256: string;
                                encryption?: {
                                    /** @enum {string} */
                                    format: "age";
                                    recipients: string[];
                                };
                            };
                            /** @description the off-site copy (BACKUP_S3_BUCKET set); a failure never fails the backup */
                            offsite?: {
                                store: string;
                                ok: boolean;
                                uploaded: string[];
                                removed: string[];
                                /** @description plaintext backups not uploaded because BACKUP_ENCRYPT_RECIPIENTS is set */
                                skipped: string[];
                                error?: string;
                                resolution?: string;
                            };
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/backups/prune": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Apply backup retention now (BACKUP_RETENTION and the BACKUP_KEEP_* tiers; audited), or list what it would delete */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /**
                         * @description list what would be deleted, delete nothing
                         * @default false
                         */
                        dry_run?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            policy: string;
                            dry_run: boolean;
                            at: string;
                            kept: {
                                file: string;
                                tiers: string[];
                            }[];
                            removed: string[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/backups/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Verify a backup in BACKUP_DIR: checksum, then a trial restore compared table by table */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        file: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            ok: boolean;
                            file: string;
                            checksum: {
                                ok: boolean;
                                problems: string[];
                            };
                            differences: {
                                table: string;
                                expected?: {
                                    rows: number;
                                    hash: string;
                                };
                                actual?: {
                                    rows: number;
                                    hash: string;
                                };
                            }[];
                            problems: string[];
                            restored_tables: number;
                            recorded: boolean;
                            ms: number;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Background jobs newest first (pg-boss), by state and name, with counts per queue and state */
        get: {
            parameters: {
                query?: {
                    state?: "queued" | "created" | "retry" | "active" | "completed" | "failed" | "cancelled";
                    name?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                name: string;
                                state: string;
                                retry_count: number;
                                retry_limit: number;
                                created_on: string;
                                started_on: string | null;
                                completed_on: string | null;
                                summary: string | null;
                            }[];
                            counts: {
                                [key: string]: {
                                    [key: string]: number;
                                };
                            };
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Run a scheduled job now (audited) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description a job of the catalog whose payload may be empty (the scheduled ones) */
                        name: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One job: payload, attempts, output or error */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            state: string;
                            retry_count: number;
                            retry_limit: number;
                            created_on: string;
                            started_on: string | null;
                            completed_on: string | null;
                            summary: string | null;
                            data: {
                                [key: string]: unknown;
                            } | null;
                            output: {
                                [key: string]: unknown;
                            } | null;
                            start_after: string | null;
                            singleton_key: string | null;
                            description: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/jobs/{id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Give a failed job one more attempt now (audited) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            state: string;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/doctor": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every diagnostic of the runbook: status, finding, resolution */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ok" | "warn" | "critical";
                            /** @enum {string} */
                            source: "server" | "direct";
                            checked_at: string;
                            checks: {
                                id: string;
                                title: string;
                                /** @enum {string} */
                                status: "ok" | "warn" | "critical";
                                finding: string;
                                resolution: string | null;
                                runbook: string;
                                ms: number;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/db/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Database and table sizes, a bloat estimate from dead tuples, the slowest statements (pg_stat_statements, when available) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            backend: "postgres" | "pglite";
                            database: string;
                            size_bytes: number;
                            tables: {
                                table: string;
                                total_bytes: number;
                                table_bytes: number;
                                index_bytes: number;
                                live_tuples: number;
                                dead_tuples: number;
                                dead_ratio: number;
                                bloat_bytes: number;
                                last_vacuum: string | null;
                                last_analyze: string | null;
                            }[];
                            bloat: {
                                dead_tuples: number;
                                estimated_bytes: number;
                                vacuum_suggested: string[];
                            };
                            slow_statements: {
                                query: string;
                                calls: number;
                                mean_ms: number;
                                total_ms: number;
                            }[] | null;
                            slow_statements_note: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/db/vacuum": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** VACUUM (optionally ANALYZE) one table or the whole database (audited) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @default false */
                        analyze?: boolean;
                        table?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            target: string;
                            analyze: boolean;
                            tables: number;
                            dead_tuples_before: number;
                            ms: number;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/db/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel the running query of one backend of the platform database (pg_cancel_backend; audited). 404 for a pid that is not one of the platform database's backends; 409 on the embedded database, which has no other backends */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        pid: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            pid: number;
                            cancelled: boolean;
                            state: string | null;
                            seconds: number | null;
                            query: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/marketplace/hooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Waldur's hooks-web subscriptions (GET /api/hooks-web/ with the service token), marked when they reach our webhook endpoint with a token we accept */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            expected_url: string;
                            items: {
                                uuid: string;
                                destination_url: string;
                                is_active: boolean;
                                event_types: string[];
                                /** @enum {string} */
                                target: "here" | "other_host" | "elsewhere";
                                token: ("current" | "previous" | "not_accepted" | "none") | null;
                            }[];
                            working: number;
                            warning: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/offerings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Mapped Waldur offerings */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                offering: string;
                                agent_id: string;
                                name: string;
                                components: {
                                    requests: string | null;
                                    input_tokens: string | null;
                                    output_tokens: string | null;
                                    token_unit: number;
                                    cost: string | null;
                                };
                                default_quota: number | null;
                                default_period: string;
                                default_rate_limit: number | null;
                                plans: {
                                    plan: string;
                                    name: string | null;
                                    quota: number;
                                    period: string;
                                    rate_limit_per_minute: number | null;
                                    budgets: {
                                        tokens_in: number | null;
                                        tokens_out: number | null;
                                        cost: string | null;
                                        /** @enum {string} */
                                        mode: "refuse" | "cap";
                                    } | null;
                                }[];
                                created_at: string;
                                updated_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Map a Waldur offering to an agent (and optionally one plan) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        offering: string;
                        agent: string;
                        name?: string;
                        /** @default {} */
                        components?: {
                            requests?: string | null;
                            input_tokens?: string | null;
                            output_tokens?: string | null;
                            token_unit?: number;
                            cost?: string | null;
                        };
                        default_quota?: number | null;
                        /** @enum {string} */
                        default_period?: "month" | "total";
                        default_rate_limit?: number | null;
                        plan?: {
                            plan: string;
                            name?: string;
                            /** @description requests per period */
                            quota: number;
                            /**
                             * @default month
                             * @enum {string}
                             */
                            period?: "month" | "total";
                            rate_limit_per_minute?: number | null;
                            /** @description input tokens per period for the plan's accesses (null: no limit) */
                            budget_tokens_in?: number | null;
                            /** @description output tokens per period for the plan's accesses (null: no limit) */
                            budget_tokens_out?: number | null;
                            /** @description cost per period for the plan's accesses, in the prices' currency (null: no limit) */
                            budget_cost?: string | null;
                            /**
                             * @description when a run's worst case does not fit: refuse (429 budget_exceeded, default) or cap its output (ADR 0065)
                             * @enum {string}
                             */
                            budget_mode?: "refuse" | "cap";
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            offering: string;
                            agent_id: string;
                            name: string;
                            components: {
                                requests: string | null;
                                input_tokens: string | null;
                                output_tokens: string | null;
                                token_unit: number;
                                cost: string | null;
                            };
                            default_quota: number | null;
                            default_period: string;
                            default_rate_limit: number | null;
                            plans: {
                                plan: string;
                                name: string | null;
                                quota: number;
                                period: string;
                                rate_limit_per_minute: number | null;
                                budgets: {
                                    tokens_in: number | null;
                                    tokens_out: number | null;
                                    cost: string | null;
                                    /** @enum {string} */
                                    mode: "refuse" | "cap";
                                } | null;
                            }[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/offerings/{ref}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One mapped offering */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    ref: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            offering: string;
                            agent_id: string;
                            name: string;
                            components: {
                                requests: string | null;
                                input_tokens: string | null;
                                output_tokens: string | null;
                                token_unit: number;
                                cost: string | null;
                            };
                            default_quota: number | null;
                            default_period: string;
                            default_rate_limit: number | null;
                            plans: {
                                plan: string;
                                name: string | null;
                                quota: number;
                                period: string;
                                rate_limit_per_minute: number | null;
                                budgets: {
                                    tokens_in: number | null;
                                    tokens_out: number | null;
                                    cost: string | null;
                                    /** @enum {string} */
                                    mode: "refuse" | "cap";
                                } | null;
                            }[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/offerings/{ref}/plans": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set what a Waldur plan grants (quota, period, rate limit) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    ref: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        plan: string;
                        name?: string;
                        /** @description requests per period */
                        quota: number;
                        /**
                         * @default month
                         * @enum {string}
                         */
                        period?: "month" | "total";
                        rate_limit_per_minute?: number | null;
                        /** @description input tokens per period for the plan's accesses (null: no limit) */
                        budget_tokens_in?: number | null;
                        /** @description output tokens per period for the plan's accesses (null: no limit) */
                        budget_tokens_out?: number | null;
                        /** @description cost per period for the plan's accesses, in the prices' currency (null: no limit) */
                        budget_cost?: string | null;
                        /**
                         * @description when a run's worst case does not fit: refuse (429 budget_exceeded, default) or cap its output (ADR 0065)
                         * @enum {string}
                         */
                        budget_mode?: "refuse" | "cap";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            offering: string;
                            agent_id: string;
                            name: string;
                            components: {
                                requests: string | null;
                                input_tokens: string | null;
                                output_tokens: string | null;
                                token_unit: number;
                                cost: string | null;
                            };
                            default_quota: number | null;
                            default_period: string;
                            default_rate_limit: number | null;
                            plans: {
                                plan: string;
                                name: string | null;
                                quota: number;
                                period: string;
                                rate_limit_per_minute: number | null;
                                budgets: {
                                    tokens_in: number | null;
                                    tokens_out: number | null;
                                    cost: string | null;
                                    /** @enum {string} */
                                    mode: "refuse" | "cap";
                                } | null;
                            }[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/marketplace/sync": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Poll Waldur now: process pending orders; with full, also reconcile every resource with our accesses */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @default false */
                        full?: boolean;
                        /** @default false */
                        force?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            offerings: number;
                            orders: {
                                order: string;
                                type: string | null;
                                status: string;
                                waldur_state: string | null;
                                access_id: string | null;
                                detail?: string;
                            }[];
                            created: {
                                resource: string;
                                access_id: string;
                            }[];
                            terminated: {
                                resource: string;
                                access_id: string;
                            }[];
                            backend_ids_set: string[];
                            skipped: {
                                offering: string;
                                reason: string;
                            }[];
                            errors: {
                                ref: string;
                                error: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/marketplace/orders": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Orders as we last saw them, and what we did */
        get: {
            parameters: {
                query?: {
                    status?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                order: string;
                                type: string;
                                waldur_state: string;
                                offering: string;
                                resource: string | null;
                                access_id: string | null;
                                status: string;
                                attempts: number;
                                last_error: string | null;
                                created_at: string;
                                updated_at: string;
                                completed_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/marketplace/orders/{ref}/process": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Process one order now */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    ref: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            order: string;
                            type: string | null;
                            status: string;
                            waldur_state: string | null;
                            access_id: string | null;
                            detail?: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/accesses/from-order": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The runbook's manual path: create the access of a Waldur order by hand (idempotent per order); the key is in this answer only */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        customer: string;
                        customer_name?: string;
                        project: string;
                        user: string;
                        /** Format: email */
                        email: string;
                        offering: string;
                        plan: string;
                        order: string;
                        resource?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            access: {
                                id: string;
                                tenant_id: string;
                                tenant_name: string;
                                agent_id: string;
                                email: string;
                                /** @enum {string} */
                                status: "active" | "suspended" | "terminated";
                                /** @enum {string} */
                                effective_status: "active" | "suspended" | "terminated" | "expired";
                                /** @enum {string} */
                                quota_period: "month" | "total";
                                quota: {
                                    period: string;
                                    limit: number;
                                    used: number;
                                    reserved: number;
                                    remaining: number;
                                };
                                budget: {
                                    period: string;
                                    tokens_in: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                    tokens_out: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                    cost: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                } | null;
                                /** @enum {string} */
                                budget_mode: "refuse" | "cap";
                                rate_limit_per_minute: number | null;
                                expires_at: string | null;
                                project_ref: string | null;
                                user_ref: string | null;
                                offering_ref: string | null;
                                plan_ref: string | null;
                                order_ref: string | null;
                                resource_ref: string | null;
                                extra_instructions: string | null;
                                knowledge_bases: string[];
                                manage_knowledge: boolean;
                                created_at: string;
                                updated_at: string;
                                terminated_at: string | null;
                            };
                            api_key: {
                                id: string;
                                access_id: string;
                                prefix: string;
                                name: string | null;
                                /** @enum {string} */
                                status: "valid" | "revoked" | "expired";
                                created_at: string;
                                expires_at: string | null;
                                revoked_at: string | null;
                                last_used_at: string | null;
                                /** @description The API key. Shown only in this answer. */
                                key: string;
                            } | null;
                            created: boolean;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Webhook deliveries, newest first */
        get: {
            parameters: {
                query?: {
                    status?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                source: string;
                                received_at: string;
                                ip: string | null;
                                verification: string;
                                verified: boolean;
                                status: string;
                                event_type: string | null;
                                order: string | null;
                                attempts: number;
                                error: string | null;
                                processed_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One delivery with its headers and body */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            source: string;
                            received_at: string;
                            ip: string | null;
                            verification: string;
                            verified: boolean;
                            status: string;
                            event_type: string | null;
                            order: string | null;
                            attempts: number;
                            error: string | null;
                            processed_at: string | null;
                            headers: {
                                [key: string]: string;
                            };
                            body: string;
                            query: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/webhooks/{id}/replay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Process a stored delivery again */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            source: string;
                            received_at: string;
                            ip: string | null;
                            verification: string;
                            verified: boolean;
                            status: string;
                            event_type: string | null;
                            order: string | null;
                            attempts: number;
                            error: string | null;
                            processed_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/usage/sync": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Report usage to Waldur now */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            accesses: number;
                            reported: number;
                            unchanged: number;
                            refused: number;
                            failed: number;
                            deferred: number;
                            details: {
                                access_id: string;
                                period: string;
                                result: string;
                                error?: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/usage/pending": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Usage not yet acknowledged by Waldur */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                access_id: string;
                                resource: string;
                                period: string;
                                component: string;
                                waldur_type: string;
                                ledger: string;
                                reported: string | null;
                                status: string;
                                attempts: number;
                                last_error: string | null;
                                next_attempt_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/tenants/{ref}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Portal members of a tenant (they see all its accesses) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    ref: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                tenant_id: string;
                                tenant_name: string;
                                email: string;
                                created_by: string;
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Add a portal member to a tenant by e-mail */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    ref: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: email */
                        email: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            tenant_id: string;
                            tenant_name: string;
                            email: string;
                            created_by: string;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/tenants/{ref}/members/{email}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a portal member */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    ref: string;
                    email: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/portal/login-links": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A one-time, short-lived portal sign-in link for an e-mail (no identity provider needed); the link is in this answer only */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: email */
                        email: string;
                        /**
                         * @default customer
                         * @enum {string}
                         */
                        role?: "customer" | "read" | "operate" | "admin";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            url: string;
                            path: string;
                            email: string;
                            role: string;
                            expires_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/portal/visibility": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Why a portal user (by e-mail) does or does not see an access (runbook: agent not appearing in portal) */
        get: {
            parameters: {
                query: {
                    email: string;
                    access: string;
                    email_verified?: "true" | "false";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            visible: boolean;
                            reasons: string[];
                            access_id: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/portal/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** How many portal sessions are live */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            live: number;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/mcp-servers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List registered MCP servers with their status and cached tools */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                name: string;
                                /** @enum {string} */
                                transport: "http" | "stdio";
                                url: string | null;
                                command: string | null;
                                args: string[];
                                header_env: {
                                    [key: string]: string;
                                };
                                enabled: boolean;
                                /** @enum {string} */
                                status: "unknown" | "ok" | "error";
                                last_error: string | null;
                                last_checked_at: string | null;
                                tools: {
                                    name: string;
                                    description: string | null;
                                    input_schema: {
                                        [key: string]: unknown;
                                    };
                                }[];
                                tools_refreshed_at: string | null;
                                created_at: string;
                                updated_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Register a remote MCP server (Streamable HTTP; stdio only with MCP_STDIO_ENABLED) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /** Format: uri */
                        url?: string;
                        command?: string;
                        args?: string[];
                        /** @default {} */
                        header_env?: {
                            [key: string]: string;
                        };
                        /** @default true */
                        enabled?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            name: string;
                            /** @enum {string} */
                            transport: "http" | "stdio";
                            url: string | null;
                            command: string | null;
                            args: string[];
                            header_env: {
                                [key: string]: string;
                            };
                            enabled: boolean;
                            /** @enum {string} */
                            status: "unknown" | "ok" | "error";
                            last_error: string | null;
                            last_checked_at: string | null;
                            tools: {
                                name: string;
                                description: string | null;
                                input_schema: {
                                    [key: string]: unknown;
                                };
                            }[];
                            tools_refreshed_at: string | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/mcp-servers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show an MCP server */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            name: string;
                            /** @enum {string} */
                            transport: "http" | "stdio";
                            url: string | null;
                            command: string | null;
                            args: string[];
                            header_env: {
                                [key: string]: string;
                            };
                            enabled: boolean;
                            /** @enum {string} */
                            status: "unknown" | "ok" | "error";
                            last_error: string | null;
                            last_checked_at: string | null;
                            tools: {
                                name: string;
                                description: string | null;
                                input_schema: {
                                    [key: string]: unknown;
                                };
                            }[];
                            tools_refreshed_at: string | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Unregister an MCP server */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            name: string;
                            /** @enum {string} */
                            transport: "http" | "stdio";
                            url: string | null;
                            command: string | null;
                            args: string[];
                            header_env: {
                                [key: string]: string;
                            };
                            enabled: boolean;
                            /** @enum {string} */
                            status: "unknown" | "ok" | "error";
                            last_error: string | null;
                            last_checked_at: string | null;
                            tools: {
                                name: string;
                                description: string | null;
                                input_schema: {
                                    [key: string]: unknown;
                                };
                            }[];
                            tools_refreshed_at: string | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/mcp-servers/{id}/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Connect now and refresh the server's tool list (its status says whether that worked) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            name: string;
                            /** @enum {string} */
                            transport: "http" | "stdio";
                            url: string | null;
                            command: string | null;
                            args: string[];
                            header_env: {
                                [key: string]: string;
                            };
                            enabled: boolean;
                            /** @enum {string} */
                            status: "unknown" | "ok" | "error";
                            last_error: string | null;
                            last_checked_at: string | null;
                            tools: {
                                name: string;
                                description: string | null;
                                input_schema: {
                                    [key: string]: unknown;
                                };
                            }[];
                            tools_refreshed_at: string | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List schedules (optionally of one access or agent) */
        get: {
            parameters: {
                query?: {
                    access_id?: string;
                    agent_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                agent_id: string;
                                access_id: string;
                                cron: string;
                                timezone: string;
                                message: string;
                                paused: boolean;
                                next_run_at: string | null;
                                last_run_at: string | null;
                                last_run_id: string | null;
                                last_error: string | null;
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Create a schedule: run an agent as an access on a cron (metered to the access's quota) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        agent_id: string;
                        /** Format: uuid */
                        access_id: string;
                        cron: string;
                        /** @default UTC */
                        timezone?: string;
                        message: string;
                        /** @default false */
                        paused?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            access_id: string;
                            cron: string;
                            timezone: string;
                            message: string;
                            paused: boolean;
                            next_run_at: string | null;
                            last_run_at: string | null;
                            last_run_id: string | null;
                            last_error: string | null;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/schedules/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show a schedule */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            access_id: string;
                            cron: string;
                            timezone: string;
                            message: string;
                            paused: boolean;
                            next_run_at: string | null;
                            last_run_at: string | null;
                            last_run_id: string | null;
                            last_error: string | null;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a schedule */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            access_id: string;
                            cron: string;
                            timezone: string;
                            message: string;
                            paused: boolean;
                            next_run_at: string | null;
                            last_run_at: string | null;
                            last_run_id: string | null;
                            last_error: string | null;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/schedules/{id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pause a schedule */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            access_id: string;
                            cron: string;
                            timezone: string;
                            message: string;
                            paused: boolean;
                            next_run_at: string | null;
                            last_run_at: string | null;
                            last_run_id: string | null;
                            last_error: string | null;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/schedules/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resume a schedule from now (missed occurrences are not fired) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            access_id: string;
                            cron: string;
                            timezone: string;
                            message: string;
                            paused: boolean;
                            next_run_at: string | null;
                            last_run_at: string | null;
                            last_run_id: string | null;
                            last_error: string | null;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/slack/bindings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Slack workspaces and channels bound to accesses */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                team_id: string;
                                /** @description null: the whole workspace */
                                channel_id: string | null;
                                access_id: string;
                                /** @description masked, or `(the workspace installation)` */
                                bot_token: string;
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Bind a Slack workspace (or one channel) to an access: its agent answers there, on the access's quota; the bot token is sealed at rest */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: uuid */
                        access_id: string;
                        team_id: string;
                        channel_id?: string;
                        /** @description left out: the token the workspace's OAuth install stored (GET /slack/install) */
                        bot_token?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            team_id: string;
                            /** @description null: the whole workspace */
                            channel_id: string | null;
                            access_id: string;
                            /** @description masked, or `(the workspace installation)` */
                            bot_token: string;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/slack/bindings/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a Slack binding */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            team_id: string;
                            /** @description null: the whole workspace */
                            channel_id: string | null;
                            access_id: string;
                            /** @description masked, or `(the workspace installation)` */
                            bot_token: string;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/ip-blocks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The IP deny list (expired entries are shown as inactive until removed) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                cidr: string;
                                reason: string | null;
                                expires_at: string | null;
                                created_by: string;
                                created_at: string;
                                active: boolean;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Block an address or network on every replica
         * @description Customer routes (/api/v1, /v1, /mcp, /slack) answer 403 `ip_blocked` to it, before authentication, on every replica within a second. Blocking an entry again replaces its reason and expiry.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description an IPv4 or IPv6 address or network, e.g. 203.0.113.7 or 203.0.113.0/24 */
                        cidr: string;
                        reason?: string;
                        /** @description when the block ends: a duration from now (30m, 24h, 7d) or an ISO time; default never */
                        expires?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            cidr: string;
                            reason: string | null;
                            expires_at: string | null;
                            created_by: string;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/ip-blocks/{cidr}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove an address or network from the deny list on every replica */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description the address or network (URL-encode the slash: 203.0.113.0%2F24) */
                    cidr: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            cidr: string;
                            reason: string | null;
                            expires_at: string | null;
                            created_by: string;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/knowledge-bases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List knowledge bases */
        get: {
            parameters: {
                query?: {
                    tenant?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                tenant_id: string | null;
                                name: string;
                                description: string;
                                documents: number;
                                bytes: number;
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Create a knowledge base (of a tenant, or platform-wide without one) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        description?: string;
                        tenant?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            tenant_id: string | null;
                            name: string;
                            description: string;
                            documents: number;
                            bytes: number;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/knowledge-bases/{kb}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show a knowledge base (id or name) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    kb: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            tenant_id: string | null;
                            name: string;
                            description: string;
                            documents: number;
                            bytes: number;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a knowledge base with its documents */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    kb: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            tenant_id: string | null;
                            name: string;
                            description: string;
                            documents: number;
                            bytes: number;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/knowledge-bases/{kb}/documents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A knowledge base's documents */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    kb: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                kb_id: string;
                                source: string;
                                title: string;
                                content_type: string;
                                content_hash: string;
                                bytes: number;
                                version: number;
                                chunks: number;
                                updated_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Add or replace a document (text, Markdown, HTML, PDF; by upload or URL); the same content again is a no-op */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    kb: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        source?: string;
                        title?: string;
                        content_type?: string;
                        text?: string;
                        content_base64?: string;
                        /** Format: uri */
                        url?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            kb_id: string;
                            source: string;
                            title: string;
                            content_type: string;
                            content_hash: string;
                            bytes: number;
                            version: number;
                            chunks: number;
                            updated_at: string;
                            /** @enum {string} */
                            status: "created" | "updated" | "unchanged";
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            kb_id: string;
                            source: string;
                            title: string;
                            content_type: string;
                            content_hash: string;
                            bytes: number;
                            version: number;
                            chunks: number;
                            updated_at: string;
                            /** @enum {string} */
                            status: "created" | "updated" | "unchanged";
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/knowledge-bases/{kb}/documents/{doc}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete a document and its chunks */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    kb: string;
                    doc: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            kb_id: string;
                            source: string;
                            title: string;
                            content_type: string;
                            content_hash: string;
                            bytes: number;
                            version: number;
                            chunks: number;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/knowledge-bases/{kb}/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Search a knowledge base (hybrid: full-text + vector, reciprocal rank fusion) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    kb: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        query: string;
                        /** @default 5 */
                        k?: number;
                        /**
                         * @default hybrid
                         * @enum {string}
                         */
                        mode?: "hybrid" | "fulltext" | "vector";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                chunk_id: string;
                                document_id: string;
                                document_title: string;
                                source: string;
                                heading_path: string;
                                position: number;
                                text: string;
                                score: number;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/api/v1/prices": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Model prices per million tokens, newest first per model */
        get: {
            parameters: {
                query?: {
                    provider?: string;
                    model?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                provider: string;
                                model: string;
                                input_per_mtok: string;
                                output_per_mtok: string;
                                cached_input_per_mtok: string | null;
                                currency: string;
                                valid_from: string;
                                created_by: string;
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Set the price of a provider model from now (or a later moment) on
         * @description Adds a price row; runs started from `valid_from` on are priced with it, earlier runs keep their cost. Every price has the same currency.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description provider id (`agentctl providers list`) */
                        provider: string;
                        model: string;
                        /** @description price per million tokens: a non-negative decimal with at most 6 decimals, e.g. 2.50 */
                        input_per_mtok: string;
                        /** @description price per million tokens: a non-negative decimal with at most 6 decimals, e.g. 2.50 */
                        output_per_mtok: string;
                        /** @description price per million cached input tokens; default: the input price */
                        cached_input_per_mtok?: string | null;
                        /**
                         * @description ISO 4217 code; every price of a deployment has the same currency
                         * @default EUR
                         */
                        currency?: string;
                        /**
                         * Format: date-time
                         * @description when the price starts to apply (runs started from then on); default now, never in the past
                         */
                        valid_from?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            provider: string;
                            model: string;
                            input_per_mtok: string;
                            output_per_mtok: string;
                            cached_input_per_mtok: string | null;
                            currency: string;
                            valid_from: string;
                            created_by: string;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/knowledge-bases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List knowledge bases */
        get: {
            parameters: {
                query?: {
                    tenant?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                tenant_id: string | null;
                                name: string;
                                description: string;
                                documents: number;
                                bytes: number;
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Create a knowledge base of the key's tenant */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        description?: string;
                        tenant?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            tenant_id: string | null;
                            name: string;
                            description: string;
                            documents: number;
                            bytes: number;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/knowledge-bases/{kb}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show a knowledge base (id or name) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    kb: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            tenant_id: string | null;
                            name: string;
                            description: string;
                            documents: number;
                            bytes: number;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a knowledge base with its documents */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    kb: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            tenant_id: string | null;
                            name: string;
                            description: string;
                            documents: number;
                            bytes: number;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/knowledge-bases/{kb}/documents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A knowledge base's documents */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    kb: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                kb_id: string;
                                source: string;
                                title: string;
                                content_type: string;
                                content_hash: string;
                                bytes: number;
                                version: number;
                                chunks: number;
                                updated_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Add or replace a document (text, Markdown, HTML, PDF; by upload or URL); the same content again is a no-op */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    kb: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        source?: string;
                        title?: string;
                        content_type?: string;
                        text?: string;
                        content_base64?: string;
                        /** Format: uri */
                        url?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            kb_id: string;
                            source: string;
                            title: string;
                            content_type: string;
                            content_hash: string;
                            bytes: number;
                            version: number;
                            chunks: number;
                            updated_at: string;
                            /** @enum {string} */
                            status: "created" | "updated" | "unchanged";
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            kb_id: string;
                            source: string;
                            title: string;
                            content_type: string;
                            content_hash: string;
                            bytes: number;
                            version: number;
                            chunks: number;
                            updated_at: string;
                            /** @enum {string} */
                            status: "created" | "updated" | "unchanged";
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/knowledge-bases/{kb}/documents/{doc}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete a document and its chunks */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    kb: string;
                    doc: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            kb_id: string;
                            source: string;
                            title: string;
                            content_type: string;
                            content_hash: string;
                            bytes: number;
                            version: number;
                            chunks: number;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/knowledge-bases/{kb}/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Search a knowledge base (hybrid: full-text + vector, reciprocal rank fusion) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    kb: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        query: string;
                        /** @default 5 */
                        k?: number;
                        /**
                         * @default hybrid
                         * @enum {string}
                         */
                        mode?: "hybrid" | "fulltext" | "vector";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                chunk_id: string;
                                document_id: string;
                                document_title: string;
                                source: string;
                                heading_path: string;
                                position: number;
                                text: string;
                                score: number;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/agents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The agents this key may use */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                name: string;
                                description: string;
                                version: number | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/access": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This key's access: quota, limits, expiry */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            email: string;
                            status: string;
                            effective_status: string;
                            quota: {
                                period: string;
                                limit: number;
                                used: number;
                                reserved: number;
                                remaining: number;
                            };
                            rate_limit_per_minute: number | null;
                            expires_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/accesses/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An access of this key (any other id is not found) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            email: string;
                            status: string;
                            effective_status: string;
                            quota: {
                                period: string;
                                limit: number;
                                used: number;
                                reserved: number;
                                remaining: number;
                            };
                            rate_limit_per_minute: number | null;
                            expires_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/agents/{agentId}/chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a message to an agent; metered against the quota
         * @description With `stream: true` the answer comes as server-sent events as the model produces it: `run.started`, `text.delta` (`text`), `tool.call` and `tool.result` for the agent's tools, and last `run.completed` with the run, usage, quota and `citations` — the same body as the non-streamed answer — (written only after the run and its usage are committed), or an `error` event carrying a problem. The stream starts with the first token; an error before it is a normal problem response.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    agentId: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        message: string;
                        conversation_id?: string;
                        /** @default false */
                        stream?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            run_id: string;
                            agent_id: string;
                            agent_version: number;
                            answer: string;
                            conversation_id: string | null;
                            usage: {
                                requests: number;
                                input_tokens: number;
                                output_tokens: number;
                            };
                            cost: {
                                amount: string;
                                currency: string;
                            } | null;
                            quota: {
                                period: string;
                                limit: number;
                                used: number;
                                remaining: number;
                            };
                            latency_ms: number | null;
                            citations: {
                                n: number;
                                document_id: string;
                                document_title: string;
                                source: string;
                                heading_path: string;
                                position: number;
                                chunk_id: string;
                            }[];
                            finish_reason?: string;
                            budget_capped_max_tokens?: number;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This key's access's conversations, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                agent_id: string;
                                access_id: string;
                                title: string | null;
                                message_count: number;
                                created_at: string;
                                updated_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Start a conversation with an agent this key may use
         * @description Pass its `id` as `conversation_id` to `/api/v1/agents/{agentId}/chat`: earlier turns are sent to the model, newest first, within the agent's history token budget.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        agent_id: string;
                        title?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            access_id: string;
                            title: string | null;
                            message_count: number;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/conversations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A conversation of this key’s access (others are not found) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            access_id: string;
                            title: string | null;
                            message_count: number;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a conversation and its messages (its runs stay) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/conversations/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The messages of a conversation, oldest first
         * @description One `user` and one `assistant` message per succeeded run; failed or cancelled runs leave none.
         */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                position: number;
                                /** @enum {string} */
                                role: "user" | "assistant";
                                content: string;
                                tokens: number;
                                run_id: string;
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A run of this key’s access (others are not found) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            agent_version: number;
                            channel: string;
                            /** @enum {string} */
                            status: "queued" | "running" | "succeeded" | "failed" | "timeout" | "cancelled";
                            conversation_id: string | null;
                            parent_run_id: string | null;
                            input: string;
                            output: string | null;
                            error: string | null;
                            usage: {
                                input_tokens: number;
                                output_tokens: number;
                                cached_input_tokens: number;
                            };
                            cost: {
                                amount: string;
                                currency: string;
                            } | null;
                            attempts: number;
                            latency_ms: number | null;
                            created_at: string;
                            finished_at: string | null;
                            steps: {
                                idx: number;
                                /** @enum {string} */
                                kind: "model" | "tool";
                                name: string;
                                tool_call_id: string | null;
                                arguments: {
                                    [key: string]: unknown;
                                } | null;
                                result: (string | number | boolean | {
                                    [key: string]: unknown;
                                }[] | string[] | {
                                    [key: string]: unknown;
                                }) | null;
                                error: string | null;
                                duration_ms: number | null;
                                usage: {
                                    input_tokens: number;
                                    output_tokens: number;
                                };
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Models = the agents this key may use */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            object: "list";
                            data: {
                                id: string;
                                /** @enum {string} */
                                object: "model";
                                created: number;
                                owned_by: string;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models/{model}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One model (agent) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    model: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            object: "model";
                            created: number;
                            owned_by: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/chat/completions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * OpenAI chat completions; `model` is the agent id
         * @description With `stream: true` the answer comes as `chat.completion.chunk` server-sent events ending with `data: [DONE]`. Extension: `citations` (the knowledge passages the answer cites as `[n]`) is at the top level of the completion and of the last streamed chunk (the one with `finish_reason`); OpenAI SDKs ignore it.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        model: string;
                        messages: ({
                            /** @enum {string} */
                            role: "system" | "developer" | "user" | "assistant" | "tool";
                            content?: string | ({
                                /** @enum {string} */
                                type: "text";
                                text: string;
                            } | ({
                                type: string;
                            } & {
                                [key: string]: unknown;
                            }))[] | null;
                            tool_calls?: ({
                                id: string;
                                /** @enum {string} */
                                type?: "function";
                                function: {
                                    name: string;
                                    arguments: string;
                                } & {
                                    [key: string]: unknown;
                                };
                            } & {
                                [key: string]: unknown;
                            })[] | null;
                            tool_call_id?: string;
                        } & {
                            [key: string]: unknown;
                        })[];
                        stream?: boolean;
                        stream_options?: ({
                            include_usage?: boolean;
                        } & {
                            [key: string]: unknown;
                        }) | null;
                        user?: string;
                        tools?: ({
                            /** @enum {string} */
                            type: "function";
                            function: {
                                name: string;
                                description?: string;
                                parameters?: {
                                    [key: string]: unknown;
                                };
                            } & {
                                [key: string]: unknown;
                            };
                        } & {
                            [key: string]: unknown;
                        })[];
                        tool_choice?: ("none" | "auto" | "required") | ({
                            /** @enum {string} */
                            type: "function";
                            function: {
                                name: string;
                            } & {
                                [key: string]: unknown;
                            };
                        } & {
                            [key: string]: unknown;
                        });
                        response_format?: ({
                            /** @enum {string} */
                            type: "text";
                        } & {
                            [key: string]: unknown;
                        }) | ({
                            /** @enum {string} */
                            type: "json_object";
                        } & {
                            [key: string]: unknown;
                        }) | ({
                            /** @enum {string} */
                            type: "json_schema";
                            json_schema: {
                                name: string;
                                description?: string;
                                schema?: {
                                    [key: string]: unknown;
                                };
                                strict?: boolean | null;
                            } & {
                                [key: string]: unknown;
                            };
                        } & {
                            [key: string]: unknown;
                        });
                        max_tokens?: number | null;
                        max_completion_tokens?: number | null;
                        temperature?: number | null;
                        top_p?: number | null;
                        stop?: (string | string[]) | null;
                        seed?: number | null;
                        presence_penalty?: number | null;
                        frequency_penalty?: number | null;
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            object: "chat.completion";
                            created: number;
                            model: string;
                            choices: ({
                                index: number;
                                message: {
                                    /** @enum {string} */
                                    role: "assistant";
                                    content: string | null;
                                    refusal: null;
                                    tool_calls?: {
                                        id: string;
                                        /** @enum {string} */
                                        type: "function";
                                        function: {
                                            name: string;
                                            arguments: string;
                                        };
                                    }[];
                                } & {
                                    [key: string]: unknown;
                                };
                                logprobs: null;
                                finish_reason: string;
                            } & {
                                [key: string]: unknown;
                            })[];
                            usage: {
                                prompt_tokens: number;
                                completion_tokens: number;
                                total_tokens: number;
                            };
                            citations: {
                                n: number;
                                document_id: string;
                                document_title: string;
                                source: string;
                                heading_path: string;
                                position: number;
                                chunk_id: string;
                            }[];
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/slack/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Slack Events API (signed by the Slack app; url_verification, app mentions, direct messages) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/slack/commands": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Slack slash command /ask (form-encoded, signed by the Slack app): an ephemeral "thinking…" at once, the answer in the channel */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/slack/install": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Add to Slack: redirects to Slack's OAuth v2 authorize page (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/slack/oauth/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Add to Slack: Slack's OAuth v2 redirect; stores the workspace's bot token (sealed, audited) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/mcp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** MCP (Streamable HTTP, stateless); tools list_agents, ask_agent and one per agent */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/agents/{agentId}/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run an agent; with `background: true` answer 202 at once and run it in a worker
         * @description Without `background` the run happens now and the answer is the finished run (200). With `background: true` the quota unit is reserved now (429 if the quota is exhausted), the run is stored `queued` and the answer is 202 with the run and a `Location` to poll; `webhook_url` receives a Standard Webhooks–signed `run.finished` event when it ends.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    agentId: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        message: string;
                        /** @default false */
                        background?: boolean;
                        /** Format: uri */
                        webhook_url?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            agent_version: number;
                            channel: string;
                            /** @enum {string} */
                            status: "queued" | "running" | "succeeded" | "failed" | "timeout" | "cancelled";
                            conversation_id: string | null;
                            parent_run_id: string | null;
                            input: string;
                            output: string | null;
                            error: string | null;
                            usage: {
                                input_tokens: number;
                                output_tokens: number;
                                cached_input_tokens: number;
                            };
                            cost: {
                                amount: string;
                                currency: string;
                            } | null;
                            attempts: number;
                            latency_ms: number | null;
                            created_at: string;
                            finished_at: string | null;
                        };
                    };
                };
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            agent_version: number;
                            channel: string;
                            /** @enum {string} */
                            status: "queued" | "running" | "succeeded" | "failed" | "timeout" | "cancelled";
                            conversation_id: string | null;
                            parent_run_id: string | null;
                            input: string;
                            output: string | null;
                            error: string | null;
                            usage: {
                                input_tokens: number;
                                output_tokens: number;
                                cached_input_tokens: number;
                            };
                            cost: {
                                amount: string;
                                currency: string;
                            } | null;
                            attempts: number;
                            latency_ms: number | null;
                            created_at: string;
                            finished_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhook-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create (or replace) this access's webhook signing secret; shown once
         * @description Completion webhooks are signed with it the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature`). A new secret replaces the old one at once.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            secret: string;
                            created_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/webhooks/waldur/order/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness of the webhook endpoint (never checks a token) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ok";
                            endpoint: string;
                            accepts: string;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Waldur order hints (hooks-web events and bare callbacks), authenticated by ?token= or an HMAC signature header */
        post: {
            parameters: {
                query?: {
                    token?: string;
                    order_uuid?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            delivery_id: string;
                            order: string | null;
                            status: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/cache/warm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Warm the caches of every replica (same as /admin/api/v1/cache/warm) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description warm the keys used within this long (default 24h) */
                        since?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description published agent definitions loaded on the replica that answered */
                            agents: number;
                            /** @description API-key verification entries loaded on the replica that answered */
                            keys: number;
                            /** @description keys used since this time were warmed */
                            since: string;
                            ms: number;
                            /**
                             * @description every replica warms its own caches when it hears the request
                             * @enum {string}
                             */
                            replicas: "all";
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in portal user and the CSRF token (authenticated: false when nobody is) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            authenticated: boolean;
                            user: {
                                email: string;
                                email_verified: boolean;
                                name: string | null;
                                /** @enum {string} */
                                role: "customer" | "read" | "operate" | "admin";
                                /** @enum {string} */
                                via: "oidc" | "link";
                                groups: string[];
                            } | null;
                            csrf_token: string | null;
                            expires_at: string | null;
                            methods: {
                                oidc: boolean;
                                login_link: boolean;
                            };
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Start OpenID Connect sign-in (authorization code + PKCE): redirects to the identity provider */
        get: {
            parameters: {
                query?: {
                    return_to?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Where the identity provider sends the browser back (register this redirect URI) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/link": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign in with a one-time login link's token (agentctl portal login-link) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        token: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            authenticated: boolean;
                            user: {
                                email: string;
                                email_verified: boolean;
                                name: string | null;
                                /** @enum {string} */
                                role: "customer" | "read" | "operate" | "admin";
                                /** @enum {string} */
                                via: "oidc" | "link";
                                groups: string[];
                            } | null;
                            csrf_token: string | null;
                            expires_at: string | null;
                            methods: {
                                oidc: boolean;
                                login_link: boolean;
                            };
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign out: ends the session on every replica */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            logout_url: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/diagnose": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Operators: the issuer's discovery result, the redirect URI to register, clock drift and hints (runbook: SSO login failing) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            configured: boolean;
                            redirect_uri: string;
                            hints: string[];
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/portal/api/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who you are to the portal and which rules decide what you see */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            email: string;
                            email_verified: boolean;
                            role: string;
                            tenants: {
                                id: string;
                                name: string;
                            }[];
                            rules: string[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/portal/api/v1/accesses": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The accesses you may see, with quota, period, expiry, status and why you see each */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                tenant_id: string;
                                tenant_name: string;
                                agent_id: string;
                                email: string;
                                /** @enum {string} */
                                status: "active" | "suspended" | "terminated";
                                /** @enum {string} */
                                effective_status: "active" | "suspended" | "terminated" | "expired";
                                /** @enum {string} */
                                quota_period: "month" | "total";
                                quota: {
                                    period: string;
                                    limit: number;
                                    used: number;
                                    reserved: number;
                                    remaining: number;
                                };
                                budget: {
                                    period: string;
                                    tokens_in: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                    tokens_out: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                    cost: {
                                        max: string;
                                        used: string;
                                        reserved: string;
                                        remaining: string;
                                    } | null;
                                } | null;
                                /** @enum {string} */
                                budget_mode: "refuse" | "cap";
                                rate_limit_per_minute: number | null;
                                expires_at: string | null;
                                order_ref: string | null;
                                extra_instructions: string | null;
                                knowledge_bases: string[];
                                manage_knowledge: boolean;
                                created_at: string;
                                updated_at: string;
                                terminated_at: string | null;
                                agent: {
                                    id: string;
                                    name: string;
                                    description: string;
                                    published_version: number | null;
                                };
                                /** @description why you see this access: a member of its tenant, and/or its e-mail is yours */
                                visible_because: ("tenant_member" | "email_match")[];
                                /**
                                 * @description the marketplace order's first key: waiting to be claimed once (until first_key_expires_at), claimed, expired (not claimed in time; revoked), or none
                                 * @enum {string}
                                 */
                                first_key: "waiting" | "claimed" | "expired" | "none";
                                /** @description while the first key waits: when it can no longer be claimed */
                                first_key_expires_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/portal/api/v1/accesses/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One of your accesses */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            tenant_id: string;
                            tenant_name: string;
                            agent_id: string;
                            email: string;
                            /** @enum {string} */
                            status: "active" | "suspended" | "terminated";
                            /** @enum {string} */
                            effective_status: "active" | "suspended" | "terminated" | "expired";
                            /** @enum {string} */
                            quota_period: "month" | "total";
                            quota: {
                                period: string;
                                limit: number;
                                used: number;
                                reserved: number;
                                remaining: number;
                            };
                            budget: {
                                period: string;
                                tokens_in: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                tokens_out: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                                cost: {
                                    max: string;
                                    used: string;
                                    reserved: string;
                                    remaining: string;
                                } | null;
                            } | null;
                            /** @enum {string} */
                            budget_mode: "refuse" | "cap";
                            rate_limit_per_minute: number | null;
                            expires_at: string | null;
                            order_ref: string | null;
                            extra_instructions: string | null;
                            knowledge_bases: string[];
                            manage_knowledge: boolean;
                            created_at: string;
                            updated_at: string;
                            terminated_at: string | null;
                            agent: {
                                id: string;
                                name: string;
                                description: string;
                                published_version: number | null;
                            };
                            /** @description why you see this access: a member of its tenant, and/or its e-mail is yours */
                            visible_because: ("tenant_member" | "email_match")[];
                            /**
                             * @description the marketplace order's first key: waiting to be claimed once (until first_key_expires_at), claimed, expired (not claimed in time; revoked), or none
                             * @enum {string}
                             */
                            first_key: "waiting" | "claimed" | "expired" | "none";
                            /** @description while the first key waits: when it can no longer be claimed */
                            first_key_expires_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/portal/api/v1/accesses/{id}/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The API keys of an access (prefixes only) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                access_id: string;
                                prefix: string;
                                name: string | null;
                                /** @enum {string} */
                                status: "valid" | "revoked" | "expired";
                                created_at: string;
                                expires_at: string | null;
                                revoked_at: string | null;
                                last_used_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Create an API key; the key is in this answer only */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        /** Format: date-time */
                        expires_at?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            access_id: string;
                            prefix: string;
                            name: string | null;
                            /** @enum {string} */
                            status: "valid" | "revoked" | "expired";
                            created_at: string;
                            expires_at: string | null;
                            revoked_at: string | null;
                            last_used_at: string | null;
                            /** @description The API key. Shown only in this answer. */
                            key: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/portal/api/v1/accesses/{id}/keys/{keyId}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke an API key (refused everywhere within a second) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                    keyId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            access_id: string;
                            prefix: string;
                            name: string | null;
                            /** @enum {string} */
                            status: "valid" | "revoked" | "expired";
                            created_at: string;
                            expires_at: string | null;
                            revoked_at: string | null;
                            last_used_at: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/portal/api/v1/accesses/{id}/first-key/claim": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Claim the first key of a marketplace order: shown once, refused afterwards (key_already_claimed) or after FIRST_KEY_CLAIM_TTL_DAYS (410 key_claim_expired) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            access_id: string;
                            prefix: string;
                            name: string | null;
                            /** @enum {string} */
                            status: "valid" | "revoked" | "expired";
                            created_at: string;
                            expires_at: string | null;
                            revoked_at: string | null;
                            last_used_at: string | null;
                            /** @description The API key. Shown only in this answer. */
                            key: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                410: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/portal/api/v1/accesses/{id}/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Usage by day (requests, input and output tokens) and by billing month */
        get: {
            parameters: {
                query?: {
                    days?: number;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            access_id: string;
                            days: {
                                day: string;
                                requests: number;
                                input_tokens: number;
                                output_tokens: number;
                            }[];
                            periods: {
                                period: string;
                                requests: number;
                                input_tokens: number;
                                output_tokens: number;
                            }[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/portal/api/v1/accesses/{id}/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Agent instance settings of an access */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            access_id: string;
                            extra_instructions: string | null;
                            knowledge_bases: string[];
                            available_knowledge_bases: {
                                id: string;
                                name: string;
                                description: string;
                                documents: number;
                                platform_wide: boolean;
                            }[];
                            slack_bindings: {
                                team_id: string;
                                /** @description null: the whole workspace */
                                channel_id: string | null;
                                created_at: string;
                            }[];
                            supported: string[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        /** Change the agent instance settings: extra instructions and attached knowledge bases apply to every run of this access */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        extra_instructions?: string | null;
                        /** @description the complete list of attached knowledge base ids (replaces the current one) */
                        knowledge_bases?: string[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            access_id: string;
                            extra_instructions: string | null;
                            knowledge_bases: string[];
                            available_knowledge_bases: {
                                id: string;
                                name: string;
                                description: string;
                                documents: number;
                                platform_wide: boolean;
                            }[];
                            slack_bindings: {
                                team_id: string;
                                /** @description null: the whole workspace */
                                channel_id: string | null;
                                created_at: string;
                            }[];
                            supported: string[];
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/portal/api/v1/accesses/{id}/chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Playground: send a message to the access's agent and stream the answer (metered like any call, channel `portal`)
         * @description Always streamed as server-sent events: `run.started`, `text.delta` (`text`), `tool.call`, `tool.result`, and last `run.completed` (the run, usage, quota and citations, written after the run and its usage are committed) or `error` (a problem). An error before the first event (`quota_exceeded`, `access_suspended`, `not_found`, …) is an ordinary problem response.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        message: string;
                        /** Format: uuid */
                        conversation_id?: string;
                    };
                };
            };
            responses: {
                /** @description text/event-stream; the last event, run.completed, carries this body */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            run_id: string;
                            agent_id: string;
                            agent_version: number;
                            answer: string;
                            conversation_id: string | null;
                            usage: {
                                requests: number;
                                input_tokens: number;
                                output_tokens: number;
                            };
                            cost: {
                                amount: string;
                                currency: string;
                            } | null;
                            quota: {
                                period: string;
                                limit: number;
                                used: number;
                                remaining: number;
                            };
                            latency_ms: number | null;
                            citations: {
                                n: number;
                                document_id: string;
                                document_title: string;
                                source: string;
                                heading_path: string;
                                position: number;
                                chunk_id: string;
                            }[];
                            finish_reason?: string;
                            budget_capped_max_tokens?: number;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/portal/api/v1/accesses/{id}/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The access's conversations, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                agent_id: string;
                                access_id: string;
                                title: string | null;
                                message_count: number;
                                created_at: string;
                                updated_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Start a conversation with the access's agent (continue it from the playground with conversation_id) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        title?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            agent_id: string;
                            access_id: string;
                            title: string | null;
                            message_count: number;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/portal/api/v1/accesses/{id}/conversations/{conversationId}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The turns of a conversation of the access, oldest first (another access’s conversation is not found) */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path: {
                    id: string;
                    conversationId: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                position: number;
                                /** @enum {string} */
                                role: "user" | "assistant";
                                content: string;
                                tokens: number;
                                run_id: string;
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/portal/api/v1/explain": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Why an order's access is or is not visible to you */
        get: {
            parameters: {
                query: {
                    order: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            visible: boolean;
                            reasons: string[];
                            access_id: string | null;
                        };
                    };
                };
                /** @description application/problem+json */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description application/problem+json */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Problem: {
            type: string;
            title: string;
            status: number;
            detail: string;
            instance: string;
            code: string;
            request_id: string;
            errors?: {
                pointer: string;
                detail: string;
            }[];
        } & {
            [key: string]: unknown;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;

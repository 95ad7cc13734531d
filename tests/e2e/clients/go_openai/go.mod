module agentrace.test/go_openai

go 1.19

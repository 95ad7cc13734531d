module agentrace.bench/go_pingpong

go 1.19

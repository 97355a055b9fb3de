from changeportal_cli.cli import main

raise SystemExit(main())

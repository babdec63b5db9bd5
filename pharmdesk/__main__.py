from pharmdesk.cli import main

raise SystemExit(main())

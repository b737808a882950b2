from alignui.cli import main

raise SystemExit(main())
